package org.dumm.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Dictionary;

import javax.inject.Inject;

import org.apache.karaf.features.Feature;
import org.dumm.api.Mesh;
import org.junit.Test;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * The distribution boots features dumm-rest and dumm-web: HTTP on 127.0.0.1 answers the REST API with the
 * token made at the first start (etc/dumm-rest.token, 0600), refuses requests without it, and
 * a bridge created over HTTP is on the host.
 */
public class RestFeatureIT extends DummTestSupport {

    @Inject
    ConfigurationAdmin configAdmin;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> call(String method, String path, String token, String body) throws Exception {
        Dictionary<String, Object> web = configAdmin.getConfiguration("org.ops4j.pax.web", null).getProperties();
        String url = "http://127.0.0.1:" + web.get("org.osgi.service.http.port") + path;
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    @Test
    public void restAnswersWithTheTokenOnly() throws Exception {
        Feature rest = featuresService.getFeature("dumm-rest");
        assertTrue("feature dumm-rest is not installed", rest != null && featuresService.isInstalled(rest));
        waitForService(Mesh.class);
        Dictionary<String, Object> web = configAdmin.getConfiguration("org.ops4j.pax.web", null).getProperties();
        assertEquals("127.0.0.1", web.get("org.ops4j.pax.web.listening.addresses"));

        Path tokenFile = Path.of(System.getProperty("karaf.etc"), "dumm-rest.token");
        waitFor("the REST servlet to answer", Duration.ofSeconds(30), () -> {
            try {
                return call("GET", "/dumm/api/guests", null, null).statusCode() == 401;
            } catch (Exception e) {
                return false;
            }
        });
        assertTrue(Files.exists(tokenFile));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
        String token = Files.readString(tokenFile).strip();

        assertEquals(401, call("GET", "/dumm/api/guests", "wrong" + token, null).statusCode());
        HttpResponse<String> refused = call("POST", "/dumm/api/bridges", "x", "{\"name\":\"dmwitbr0\"}");
        assertEquals(401, refused.statusCode());
        assertFalse(Files.exists(Path.of("/sys/class/net/dmwitbr0")));

        HttpResponse<String> guests = call("GET", "/dumm/api/guests", token, null);
        assertEquals(200, guests.statusCode());
        assertTrue(guests.body(), guests.body().strip().startsWith("["));
        HttpResponse<String> created = call("POST", "/dumm/api/bridges", token, "{\"name\":\"dmwitbr0\"}");
        try {
            assertEquals(created.body(), 201, created.statusCode());
            assertTrue(Files.exists(Path.of("/sys/class/net/dmwitbr0/bridge")));
            assertEquals(409, call("POST", "/dumm/api/bridges", token, "{\"name\":\"dmwitbr0\"}").statusCode());
        } finally {
            assertEquals(204, call("DELETE", "/dumm/api/bridges/dmwitbr0", token, null).statusCode());
        }
        assertFalse(Files.exists(Path.of("/sys/class/net/dmwitbr0")));
        HttpResponse<String> doc = call("GET", "/dumm/api/openapi.json", token, null);
        assertEquals(200, doc.statusCode());
        assertTrue(doc.body().contains("\"openapi\""));

        // feature dumm-web: the page (its files need no token: they hold no data)
        HttpResponse<String> page = call("GET", "/dumm/ui/", null, null);
        assertEquals(200, page.statusCode());
        assertTrue(page.body(), page.body().contains("<script src=\"app.js\""));
        assertTrue(featuresService.isInstalled(featuresService.getFeature("dumm-web")));
        assertEquals(200, call("GET", "/dumm/ui/vendor/xterm.js", null, null).statusCode());
        // the console and event servlets are there too (and want the token)
        assertEquals(401, call("GET", "/dumm/console/dmwitnone", null, null).statusCode());
        HttpResponse<String> noGuest = call("GET", "/dumm/console/dmwitnone", token, null);
        assertEquals(noGuest.body(), 404, noGuest.statusCode());
        assertEquals(401, call("GET", "/dumm/events", null, null).statusCode());
    }
}
