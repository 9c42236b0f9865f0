package io.waybill.android

import android.net.ConnectivityManager
import android.net.NetworkCapabilities
import io.waybill.ffi.Network

/**
 * What the core needs to know about the network to plan a background sync: none,
 * metered (cellular: bulk uploads wait), or unmetered. Read from the framework's
 * [ConnectivityManager]; a WorkManager adapter would pass the same value from its
 * constraints.
 */
object Connectivity {
    /** The core's view of [capabilities] (null: no default network). */
    fun of(capabilities: NetworkCapabilities?): Network = when {
        capabilities == null ||
            !capabilities.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET) -> Network.OFFLINE
        capabilities.hasCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED) -> Network.UNMETERED
        else -> Network.METERED
    }

    /** The default network now. */
    fun current(manager: ConnectivityManager): Network =
        of(manager.activeNetwork?.let(manager::getNetworkCapabilities))

    /**
     * Calls [onChange] with the core's view whenever the default network changes; returns
     * the callback to unregister with [ConnectivityManager.unregisterNetworkCallback].
     */
    fun watch(manager: ConnectivityManager, onChange: (Network) -> Unit): ConnectivityManager.NetworkCallback {
        val callback = object : ConnectivityManager.NetworkCallback() {
            override fun onCapabilitiesChanged(network: android.net.Network, capabilities: NetworkCapabilities) =
                onChange(of(capabilities))

            override fun onLost(network: android.net.Network) = onChange(Network.OFFLINE)
        }
        manager.registerDefaultNetworkCallback(callback)
        return callback
    }
}
