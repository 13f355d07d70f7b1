package org.dumm.rest.internal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A small HTTP client for the tests: JSON in and out, a token or none, and an SSE reader. */
final class RestClient {

    record Answer(int status, Object json, String text) {
        @SuppressWarnings("unchecked")
        Map<String, Object> map() {
            return (Map<String, Object>) json;
        }

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> list() {
            return (List<Map<String, Object>>) json;
        }

        Object get(String key) {
            return map().get(key);
        }
    }

    /** One Server-Sent Event as read. */
    record Sse(long id, String event, Map<String, Object> data) {
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    final String base;
    final String token;

    RestClient(String base, String token) {
        this.base = base;
        this.token = token;
    }

    RestClient withToken(String other) {
        return new RestClient(base, other);
    }

    Answer get(String path) throws Exception {
        return call("GET", path, null);
    }

    Answer post(String path, Object body) throws Exception {
        return call("POST", path, body);
    }

    Answer delete(String path) throws Exception {
        return call("DELETE", path, null);
    }

    Answer call(String method, String path, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(120));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        HttpRequest.BodyPublisher pub = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : HttpCall.JSON.writeValueAsString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        HttpResponse<String> r = http.send(b.method(method, pub).build(), HttpResponse.BodyHandlers.ofString());
        Object json = null;
        String text = r.body();
        if (r.headers().firstValue("Content-Type").orElse("").startsWith("application/json") && !text.isEmpty()) {
            json = HttpCall.JSON.readValue(text, Object.class);
        }
        return new Answer(r.statusCode(), json, text);
    }

    /** An open event stream; events arrive in {@link #events}. */
    final class Stream implements AutoCloseable {
        final LinkedBlockingQueue<Sse> events = new LinkedBlockingQueue<>();
        final int status;
        private final InputStream in;
        private final Thread reader;

        Stream(String path, String lastEventId) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base.replace("/dumm/api", path)));
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            if (lastEventId != null) {
                b.header("Last-Event-ID", lastEventId);
            }
            HttpResponse<InputStream> r = http.send(b.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            status = r.statusCode();
            in = r.body();
            reader = new Thread(this::read, "dmw-sse-reader");
            reader.setDaemon(true);
            reader.start();
        }

        @SuppressWarnings("unchecked")
        private void read() {
            try (BufferedReader br = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                long id = -1;
                String event = "message";
                StringBuilder data = new StringBuilder();
                for (String line; (line = br.readLine()) != null; ) {
                    if (line.isEmpty()) {
                        if (data.length() > 0) {
                            Object v = HttpCall.JSON.readValue(data.toString(), Object.class);
                            events.add(new Sse(id, event, v instanceof Map<?, ?> m ? (Map<String, Object>) m
                                    : Map.of("value", v)));
                        }
                        id = -1;
                        event = "message";
                        data.setLength(0);
                    } else if (line.startsWith("id: ")) {
                        id = Long.parseLong(line.substring(4));
                    } else if (line.startsWith("event: ")) {
                        event = line.substring(7);
                    } else if (line.startsWith("data: ")) {
                        data.append(line.substring(6));
                    }
                }
            } catch (IOException e) {
                // closed
            }
        }

        /** Waits for the next event named {@code event} (others before it are kept in the list). */
        Sse await(String event, List<Sse> seen, long millis) throws InterruptedException {
            long end = System.currentTimeMillis() + millis;
            for (long left; (left = end - System.currentTimeMillis()) > 0; ) {
                Sse e = events.poll(left, TimeUnit.MILLISECONDS);
                if (e == null) {
                    break;
                }
                seen.add(e);
                if (e.event().equals(event)) {
                    return e;
                }
            }
            throw new AssertionError("no '" + event + "' event within " + millis + " ms; saw " + seen);
        }

        List<Sse> drain() {
            List<Sse> out = new ArrayList<>();
            events.drainTo(out);
            return out;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    Stream stream(String lastEventId) throws Exception {
        return new Stream("/dumm/events", lastEventId);
    }

    Stream console(String guest) throws Exception {
        return new Stream("/dumm/console/" + guest, null);
    }

    /** Raw bytes to a path outside /dumm/api. */
    int postRaw(String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base.replace("/dumm/api", path)));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
