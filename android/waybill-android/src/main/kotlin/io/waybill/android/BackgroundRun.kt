package io.waybill.android

import android.content.Context
import android.net.ConnectivityManager
import android.util.Log
import io.waybill.ffi.BackgroundSync

/**
 * Runs [block]; a failure (a core error, a closed client) is logged by its type only — no
 * message, which may hold a personal value — and answered null, never thrown into a
 * system callback. Cancellation still cancels.
 */
suspend fun <T> loggedOrNull(what: String, block: suspend () -> T): T? = try {
    block()
} catch (e: Exception) {
    if (e is kotlinx.coroutines.CancellationException) throw e
    Log.w("Waybill", "$what failed: ${e.javaClass.simpleName}")
    null
}

/** One background sync as a system job runs it: JobScheduler's ([SyncJobService]) or WorkManager's. */
object BackgroundRun {
    /** The core's budget per run: well inside the system's 10-minute window. */
    const val BUDGET_MILLIS = 60_000L

    /** The host's client syncs on the network there is now; null when the run failed. */
    suspend fun sync(context: Context): BackgroundSync? {
        val host = context.applicationContext as WaybillHost
        val network = Connectivity.current(context.getSystemService(ConnectivityManager::class.java))
        return loggedOrNull("background sync") { host.waybill().syncInBackground(BUDGET_MILLIS, network) }
    }
}
