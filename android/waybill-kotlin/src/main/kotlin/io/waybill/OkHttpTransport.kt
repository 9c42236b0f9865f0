package io.waybill

import io.waybill.ffi.HttpHeader
import io.waybill.ffi.HttpMethod
import io.waybill.ffi.HttpRequest
import io.waybill.ffi.HttpResponse
import io.waybill.ffi.HttpTransport
import io.waybill.ffi.TransportException
import kotlinx.coroutines.suspendCancellableCoroutine
import okhttp3.Call
import okhttp3.Callback
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.Response
import okio.Buffer
import java.io.IOException
import java.io.InterruptedIOException
import java.util.concurrent.TimeUnit
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException

/**
 * The core's requests over the app's own [OkHttpClient] (ADR 0014): its proxy selector,
 * interceptors, trust store (on Android the app's `network_security_config`, on the JVM the
 * default trust managers), `CertificatePinner` and connection pool apply to Waybill's
 * traffic as to every other request of the app. Pass the app's client (`client.newBuilder()`
 * is cheap and shares its pool); the transport only turns redirects off and sets each
 * call's deadline. The core built the request and decides everything about it: this moves
 * bytes, caps the reply, and cancels the call when the core stops waiting.
 */
class OkHttpTransport(client: OkHttpClient = OkHttpClient()) : HttpTransport {
    private val client = client.newBuilder()
        // The contract: a 3xx comes back as it is (the core never follows one with its token).
        .followRedirects(false)
        .followSslRedirects(false)
        .build()

    override suspend fun send(request: HttpRequest): HttpResponse {
        val call = client.newCall(request.toOkHttp())
        // The whole call's deadline on the call itself: no client copy per request.
        call.timeout().timeout(request.timeoutMs.toLong(), TimeUnit.MILLISECONDS)
        return suspendCancellableCoroutine { continuation ->
            continuation.invokeOnCancellation { call.cancel() }
            call.enqueue(object : Callback {
                override fun onFailure(call: Call, e: IOException) {
                    continuation.resumeWithException(e.asTransportError())
                }

                override fun onResponse(call: Call, response: Response) {
                    val result = try {
                        Result.success(response.use { it.read(request.maxReplyBytes.toLong()) })
                    } catch (e: IOException) {
                        Result.failure(e.asTransportError())
                    } catch (e: TransportException) {
                        Result.failure(e)
                    }
                    result.fold(continuation::resume, continuation::resumeWithException)
                }
            })
        }
    }

    private fun HttpRequest.toOkHttp(): Request {
        val body = when {
            body.isNotEmpty() -> body.toRequestBody(null)
            // OkHttp wants a body on these even when the core sends none.
            method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH ->
                ByteArray(0).toRequestBody(null)
            else -> null
        }
        val builder = Request.Builder().url(url).method(method.name, body)
        for (h in headers) builder.addHeader(h.name, h.value)
        return builder.build()
    }

    /** The whole reply, refused past [max] bytes (declared or as it streams). */
    private fun Response.read(max: Long): HttpResponse {
        val source = body?.source()
        val buffer = Buffer()
        if (source != null) {
            if (body!!.contentLength() > max) throw TransportException.ReplyTooLarge()
            while (source.read(buffer, 8192) != -1L) {
                if (buffer.size > max) throw TransportException.ReplyTooLarge()
            }
        }
        return HttpResponse(
            status = code.toUShort(),
            headers = headers.map { (name, value) -> HttpHeader(name, value) },
            body = buffer.readByteArray(),
        )
    }

    private fun IOException.asTransportError(): TransportException = when (this) {
        is InterruptedIOException -> TransportException.TimedOut()
        // No URL in the reason: URLs carry queries (a coarse position).
        else -> TransportException.Failed("${javaClass.simpleName}: ${message?.substringBefore(" for ") ?: ""}")
    }
}
