package io.waybill.sample

import android.app.Activity
import android.os.Bundle
import android.widget.TextView

/** The sample's one screen: the policy in force, read from the core off the main thread. */
class MainActivity : Activity() {
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val text = TextView(this).apply { text = "Waybill" }
        setContentView(text)
        (application as DriverApp).showPolicy { status -> runOnUiThread { text.text = status } }
    }
}
