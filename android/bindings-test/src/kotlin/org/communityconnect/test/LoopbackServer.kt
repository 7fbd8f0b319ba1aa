// The real connect-server binary on loopback for the binding tests, the way tests/src/lib.rs starts
// it: a temp SQLite database, an SMS sink capturing the login codes, and one resident's property
// seeded through the real admin API.
package org.communityconnect.test

import com.sun.net.httpserver.HttpServer
import java.io.File
import java.net.InetSocketAddress
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.nio.file.Files
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.TimeUnit

/** The ids a seeded resident's property got from the server. */
data class Resident(val phone: String, val meterId: String, val apartmentId: String, val accountId: String)

class LoopbackServer private constructor(
    private val process: Process,
    private val sms: HttpServer,
    private val inbox: CopyOnWriteArrayList<Pair<String, String>>,
    val dir: File,
    val baseUrl: String,
) : AutoCloseable {
    private val http: HttpClient = HttpClient.newHttpClient()

    companion object {
        const val ADMIN_PHONE = "+70000000999"

        fun start(): LoopbackServer {
            val bin = System.getProperty("connect.server.bin")
                ?: error("system property connect.server.bin is not set (scripts/kotlin-tests.sh sets it)")
            val dir = Files.createTempDirectory("connect-kotlin-").toFile()
            val inbox = CopyOnWriteArrayList<Pair<String, String>>()
            val sms = HttpServer.create(InetSocketAddress("127.0.0.1", 0), 0)
            sms.createContext("/sms") { exchange ->
                val body = exchange.requestBody.readBytes().decodeToString()
                inbox.add(jsonString(body, "to") to jsonString(body, "text"))
                exchange.sendResponseHeaders(200, 2)
                exchange.responseBody.use { it.write("ok".toByteArray()) }
            }
            sms.start()
            val process = ProcessBuilder(bin, "serve")
                .directory(dir)
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .apply {
                    environment().putAll(
                        mapOf(
                            "CONNECT_ADDR" to "127.0.0.1:0",
                            "CONNECT_DATABASE" to "sqlite://${File(dir, "server.db").absolutePath}",
                            "CONNECT_SECRET_KEY" to "kotlin-secret-kotlin-secret-kotlin-secret",
                            "CONNECT_SMS_WEBHOOK" to "http://127.0.0.1:${sms.address.port}/sms",
                            "CONNECT_ADMIN_PHONE" to ADMIN_PHONE,
                            "CONNECT_OTP_IP_LIMIT" to "100000",
                            "RUST_LOG" to "warn",
                        )
                    )
                }
                .start()
            val listening = CompletableFuture<String>()
            // Reads the listening line, then keeps draining so the server never blocks on a full pipe.
            Thread {
                process.inputStream.bufferedReader().forEachLine { line ->
                    if (line.startsWith("connect-server listening on ")) {
                        listening.complete(line.removePrefix("connect-server listening on ").trim())
                    }
                }
                listening.completeExceptionally(IllegalStateException("connect-server exited before listening"))
            }.apply { isDaemon = true }.start()
            val base = listening.get(30, TimeUnit.SECONDS)
            return LoopbackServer(process, sms, inbox, dir, base)
        }

        private fun jsonString(json: String, key: String): String =
            Regex("\"$key\"\\s*:\\s*\"([^\"]*)\"").find(json)?.groupValues?.get(1)
                ?: error("no string \"$key\" in $json")
    }

    /** The six-digit code in the latest SMS to [phone]. */
    fun lastCode(phone: String): String {
        val text = inbox.lastOrNull { it.first == phone }?.second ?: error("no SMS to this phone")
        return Regex("\\b\\d{6}\\b").find(text)?.value ?: error("no code in the SMS")
    }

    private fun post(path: String, body: String, token: String? = null): String {
        val request = HttpRequest.newBuilder(URI.create("$baseUrl$path"))
            .header("content-type", "application/json")
            .apply { if (token != null) header("authorization", "Bearer $token") }
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() in 200..299) { "POST $path: ${response.statusCode()} ${response.body()}" }
        return response.body()
    }

    /** Whether the server routes [path] at all (an unauthenticated POST gets 401, not 404). */
    fun hasRoute(path: String): Boolean {
        val request = HttpRequest.newBuilder(URI.create("$baseUrl$path"))
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{}"))
            .build()
        return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() != 404
    }

    private fun adminToken(): String {
        post("/v1/auth/code", """{"phone":"$ADMIN_PHONE"}""")
        val session = post("/v1/auth/verify", """{"phone":"$ADMIN_PHONE","code":"${lastCode(ADMIN_PHONE)}"}""")
        return jsonString(session, "token")
    }

    private val admin: String by lazy { adminToken() }

    /**
     * Company [company] with building `<company>1`, apartment 1, a water account and one cold-water
     * meter (5 + 3 digits), and [phone] linked as its resident.
     */
    fun seedResident(company: String, phone: String): Resident {
        post(
            "/v1/admin/companies",
            """{"id":"$company","name":"UK $company","tax_id":null,"phone":null,"email":null,"region_id":"R1"}""",
            admin,
        )
        post(
            "/v1/admin/buildings",
            """{"buildings":[{"id":"${company}1","address":"$company street 1","company_id":"$company",
               "region_id":"R1","lat":59.2,"lon":39.9}]}""",
            admin,
        )
        val apartmentId = jsonString(
            post("/v1/admin/apartments", """{"building_id":"${company}1","number":"1"}""", admin), "id",
        )
        val accountId = jsonString(
            post(
                "/v1/admin/accounts",
                """{"apartment_id":"$apartmentId","provider_id":"water","number":"ACC-$company",
                   "holder_name":"Holder $company"}""",
                admin,
            ),
            "id",
        )
        val meterId = jsonString(
            post(
                "/v1/admin/meters",
                """{"apartment_id":"$apartmentId","account_id":"$accountId","kind":"cold_water",
                   "serial":"SN-$company","integer_digits":5,"fraction_digits":3,"tariffs":["single"],
                   "installed_on":"2023-01-01","next_verification_on":null}""",
                admin,
            ),
            "id",
        )
        post("/v1/admin/residents", """{"phone":"$phone","apartment_id":"$apartmentId"}""", admin)
        return Resident(phone, meterId, apartmentId, accountId)
    }

    private fun get(path: String, token: String): String {
        val request = HttpRequest.newBuilder(URI.create("$baseUrl$path"))
            .header("authorization", "Bearer $token")
            .GET()
            .build()
        val response = http.send(request, HttpResponse.BodyHandlers.ofString())
        check(response.statusCode() in 200..299) { "GET $path: ${response.statusCode()} ${response.body()}" }
        return response.body()
    }

    /** Partner shop [partnerId] with [cashierPhone] as its cashier (a grant, given before login). */
    fun seedPartner(partnerId: String, cashierPhone: String) {
        post("/v1/admin/partners", """{"id":"$partnerId","name":"Shop $partnerId"}""", admin)
        post(
            "/v1/admin/grants",
            """{"phone":"$cashierPhone","role":"partner_cashier","scope":"$partnerId"}""",
            admin,
        )
    }

    /** Awards [phone]'s user a house inspection (50 points by default) with source [source]. */
    fun awardInspection(phone: String, source: String) {
        post("/v1/auth/code", """{"phone":"$phone"}""")
        val session = post("/v1/auth/verify", """{"phone":"$phone","code":"${lastCode(phone)}"}""")
        val userId = jsonString(get("/v1/me", jsonString(session, "token")), "user_id")
        post(
            "/v1/admin/points/award",
            """{"user_id":"$userId","rule":"house_inspection","source_id":"$source"}""",
            admin,
        )
    }

    /** Grants [phone] the staff role of [company] and logs it in; returns its session token. */
    fun staffLogin(company: String, phone: String): String {
        post("/v1/admin/grants", """{"phone":"$phone","role":"company_staff","scope":"$company"}""", admin)
        post("/v1/auth/code", """{"phone":"$phone"}""")
        return jsonString(post("/v1/auth/verify", """{"phone":"$phone","code":"${lastCode(phone)}"}"""), "token")
    }

    /** Staff print a fresh account code for the bill of [accountId]; returns the code's text. */
    fun issueAccountCode(staffToken: String, accountId: String): String =
        jsonString(post("/v1/accounts/$accountId/code", "{}", staffToken), "code")

    /** Staff move a report through its lifecycle through the JSON API (accept, in_progress, resolve, reject). */
    fun changeReportStatus(staffToken: String, reportId: String, action: String, comment: String) {
        post("/v1/company/reports/$reportId/status", """{"action":"$action","comment":"$comment"}""", staffToken)
    }

    override fun close() {
        process.destroy()
        if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly()
        sms.stop(0)
        dir.deleteRecursively()
    }
}
