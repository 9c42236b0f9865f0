package io.waybill.android

import org.junit.runners.model.FrameworkMethod
import org.robolectric.RobolectricTestRunner
import org.robolectric.internal.bytecode.InstrumentationConfiguration

/**
 * Robolectric with the generated bindings loaded once for the JVM, outside the per-SDK
 * sandboxes. The native library is loaded once per process and keeps one table of the
 * callback interfaces (secret store, listeners, log sink); if each sandbox (API 24, 29,
 * 34) loaded its own copy of `io.waybill.ffi`, the library would call back into the last
 * one with another sandbox's handles ("UniffiHandleMap: Invalid handle"). On a device
 * there is one class loader, as here.
 */
class WaybillTestRunner(testClass: Class<*>) : RobolectricTestRunner(testClass) {
    override fun createClassLoaderConfig(method: FrameworkMethod): InstrumentationConfiguration =
        InstrumentationConfiguration.Builder(super.createClassLoaderConfig(method))
            .doNotAcquirePackage("io.waybill.ffi")
            .build()
}
