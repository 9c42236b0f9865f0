package io.waybill.android

import android.Manifest
import android.app.NotificationManager
import android.content.Context
import android.content.pm.PackageManager
import android.os.Build
import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionState

/**
 * The runtime permissions the core reasons about, read the way each Android version
 * grants them. The core keeps the 48-hour rule and purges a purpose's data when its
 * permission is turned off; the app only reports what the OS says.
 *
 * Where a permission does not exist yet the capability is read as that version grants
 * it: notifications before 13 are on unless the user turned them off; background location
 * before 10 comes with foreground location; photos before 13 are external storage; on 14
 * "selected photos only" is [PermissionState.LIMITED], and so is the system photo picker
 * where it exists (13+, 11–12 with its SDK extension): one picked photo is all an album
 * proof needs, and the picker gives it with no permission ([AlbumPicker]).
 */
object Permissions {
    /** Android permission name → the core's permission (every name a request may return). */
    val byAndroidName: Map<String, Permission> = mapOf(
        Manifest.permission.ACCESS_FINE_LOCATION to Permission.LOCATION_PRECISE,
        Manifest.permission.ACCESS_COARSE_LOCATION to Permission.LOCATION_APPROXIMATE,
        Manifest.permission.ACCESS_BACKGROUND_LOCATION to Permission.LOCATION_BACKGROUND,
        Manifest.permission.CAMERA to Permission.CAMERA,
        Manifest.permission.READ_MEDIA_IMAGES to Permission.PHOTOS,
        Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED to Permission.PHOTOS,
        Manifest.permission.READ_EXTERNAL_STORAGE to Permission.PHOTOS,
        Manifest.permission.READ_CONTACTS to Permission.CONTACTS,
        Manifest.permission.POST_NOTIFICATIONS to Permission.NOTIFICATIONS,
    )

    /**
     * The Android permissions to request for [permission] on this device (empty: nothing
     * to request, the capability comes with another or needs no runtime grant here).
     */
    fun toRequest(permission: Permission, sdk: Int = Build.VERSION.SDK_INT): List<String> = when (permission) {
        Permission.LOCATION_PRECISE -> listOf(Manifest.permission.ACCESS_FINE_LOCATION, Manifest.permission.ACCESS_COARSE_LOCATION)
        Permission.LOCATION_APPROXIMATE -> listOf(Manifest.permission.ACCESS_COARSE_LOCATION)
        Permission.LOCATION_BACKGROUND ->
            if (sdk >= Build.VERSION_CODES.Q) listOf(Manifest.permission.ACCESS_BACKGROUND_LOCATION) else emptyList()
        Permission.CAMERA -> listOf(Manifest.permission.CAMERA)
        Permission.PHOTOS -> when {
            // The photo picker needs no permission: one proof photo is all the core takes.
            AlbumPicker.systemPickerAvailable(sdk) -> emptyList()
            sdk >= Build.VERSION_CODES.UPSIDE_DOWN_CAKE ->
                listOf(Manifest.permission.READ_MEDIA_IMAGES, Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED)
            sdk >= Build.VERSION_CODES.TIRAMISU -> listOf(Manifest.permission.READ_MEDIA_IMAGES)
            else -> listOf(Manifest.permission.READ_EXTERNAL_STORAGE)
        }
        Permission.CONTACTS -> listOf(Manifest.permission.READ_CONTACTS)
        Permission.NOTIFICATIONS ->
            if (sdk >= Build.VERSION_CODES.TIRAMISU) listOf(Manifest.permission.POST_NOTIFICATIONS) else emptyList()
    }

    /**
     * The state of one permission after a request: granted, or denied. A denial the system
     * will not ask again ("don't ask again": denied and no rationale to show) is still
     * DENIED for the core, which then offers the settings screen instead of a dialog.
     */
    fun fromResult(grantResult: Int): PermissionState =
        if (grantResult == PackageManager.PERMISSION_GRANTED) PermissionState.GRANTED else PermissionState.DENIED

    /** The state of [permission] as the OS reports it now. */
    fun stateOf(context: Context, permission: Permission): PermissionState {
        val sdk = Build.VERSION.SDK_INT
        fun granted(name: String) = context.checkSelfPermission(name) == PackageManager.PERMISSION_GRANTED
        fun state(on: Boolean) = if (on) PermissionState.GRANTED else PermissionState.DENIED
        val foregroundLocation = granted(Manifest.permission.ACCESS_FINE_LOCATION) ||
            granted(Manifest.permission.ACCESS_COARSE_LOCATION)
        return when (permission) {
            Permission.LOCATION_PRECISE -> state(granted(Manifest.permission.ACCESS_FINE_LOCATION))
            Permission.LOCATION_APPROXIMATE -> state(foregroundLocation)
            Permission.LOCATION_BACKGROUND -> state(
                if (sdk >= Build.VERSION_CODES.Q) granted(Manifest.permission.ACCESS_BACKGROUND_LOCATION) else foregroundLocation,
            )
            Permission.CAMERA -> state(granted(Manifest.permission.CAMERA))
            Permission.PHOTOS -> when {
                sdk >= Build.VERSION_CODES.TIRAMISU && granted(Manifest.permission.READ_MEDIA_IMAGES) -> PermissionState.GRANTED
                sdk < Build.VERSION_CODES.TIRAMISU && granted(Manifest.permission.READ_EXTERNAL_STORAGE) -> PermissionState.GRANTED
                sdk >= Build.VERSION_CODES.UPSIDE_DOWN_CAKE &&
                    granted(Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED) -> PermissionState.LIMITED
                // The system photo picker hands over the one photo picked, with no permission.
                AlbumPicker.systemPickerAvailable(sdk) -> PermissionState.LIMITED
                else -> PermissionState.DENIED
            }
            Permission.CONTACTS -> state(granted(Manifest.permission.READ_CONTACTS))
            Permission.NOTIFICATIONS -> state(
                if (sdk >= Build.VERSION_CODES.TIRAMISU) {
                    granted(Manifest.permission.POST_NOTIFICATIONS)
                } else {
                    context.getSystemService(NotificationManager::class.java).areNotificationsEnabled()
                },
            )
        }
    }

    /**
     * The current state of every permission the core knows, as the OS reports it now (call
     * it on start and on resume: the user may have changed them in Settings). A permission
     * never asked reads as denied on Android; the core's own record says whether it asked.
     */
    fun current(context: Context): Map<Permission, PermissionState> =
        Permission.values().associateWith { stateOf(context, it) }

    /**
     * Maps an `onRequestPermissionsResult` callback to the core's permissions, read again
     * from the OS (a request for photos on 14 answers two names for one permission).
     */
    fun fromRequest(context: Context, names: Array<out String>): Map<Permission, PermissionState> =
        names.mapNotNull { byAndroidName[it] }.distinct().associateWith { stateOf(context, it) }

    /**
     * Maps an `onRequestPermissionsResult` callback by its results alone. Names that share
     * a permission keep the widest grant: full photos, else "selected photos" (LIMITED).
     */
    fun fromRequest(names: Array<out String>, results: IntArray): Map<Permission, PermissionState> =
        names.zip(results.toTypedArray()).mapNotNull { (name, result) ->
            val state = fromResult(result)
            byAndroidName[name]?.let {
                it to if (name == Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED && state == PermissionState.GRANTED) {
                    PermissionState.LIMITED
                } else {
                    state
                }
            }
        }.groupBy({ it.first }, { it.second }).mapValues { (_, states) -> states.minBy(::breadth) }

    private fun breadth(state: PermissionState): Int = when (state) {
        PermissionState.GRANTED -> 0
        PermissionState.LIMITED -> 1
        else -> 2
    }
}
