package io.waybill.android

import android.Manifest
import android.content.Context
import android.content.pm.PackageManager
import io.waybill.ffi.Permission
import io.waybill.ffi.PermissionState

/**
 * The runtime permissions the core reasons about, by their Android names. The core keeps
 * the 48-hour rule and purges a purpose's data when its permission is turned off; the app
 * only reports what the OS says.
 */
object Permissions {
    /** Android permission name → the core's permission. */
    val byAndroidName: Map<String, Permission> = mapOf(
        Manifest.permission.ACCESS_FINE_LOCATION to Permission.LOCATION_PRECISE,
        Manifest.permission.ACCESS_COARSE_LOCATION to Permission.LOCATION_APPROXIMATE,
        Manifest.permission.ACCESS_BACKGROUND_LOCATION to Permission.LOCATION_BACKGROUND,
        Manifest.permission.CAMERA to Permission.CAMERA,
        Manifest.permission.READ_MEDIA_IMAGES to Permission.PHOTOS,
        Manifest.permission.READ_CONTACTS to Permission.CONTACTS,
        Manifest.permission.POST_NOTIFICATIONS to Permission.NOTIFICATIONS,
    )

    /**
     * The state of one permission after a request: granted, or denied. A denial the system
     * will not ask again ("don't ask again": denied and no rationale to show) is still
     * DENIED for the core, which then offers the settings screen instead of a dialog.
     */
    fun fromResult(grantResult: Int): PermissionState =
        if (grantResult == PackageManager.PERMISSION_GRANTED) PermissionState.GRANTED else PermissionState.DENIED

    /**
     * The current state of every permission the core knows, as the OS reports it now (call
     * it on start and on resume: the user may have changed them in Settings). A permission
     * never asked reads as denied on Android; the core's own record says whether it asked.
     */
    fun current(context: Context): Map<Permission, PermissionState> =
        byAndroidName.entries.associate { (name, permission) ->
            permission to fromResult(context.checkSelfPermission(name))
        }

    /** Maps an `onRequestPermissionsResult` callback to the core's permissions. */
    fun fromRequest(names: Array<out String>, results: IntArray): Map<Permission, PermissionState> =
        names.zip(results.toTypedArray()).mapNotNull { (name, result) ->
            byAndroidName[name]?.let { it to fromResult(result) }
        }.toMap()
}
