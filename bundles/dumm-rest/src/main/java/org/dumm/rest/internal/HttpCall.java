package org.dumm.rest.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** One request being answered: its path segments, its JSON body and the JSON answer. */
final class HttpCall {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 1 << 20;

    final HttpServletRequest req;
    final HttpServletResponse resp;
    final String method;
    final List<String> path;
    private Map<String, Object> body;

    HttpCall(HttpServletRequest req, HttpServletResponse resp) {
        this.req = req;
        this.resp = resp;
        this.method = req.getMethod();
        String info = req.getPathInfo() == null ? "" : req.getPathInfo();
        this.path = java.util.Arrays.stream(info.split("/")).filter(s -> !s.isEmpty()).toList();
    }

    /** True when the path is {@code pattern}: literal segments, and {@code *} for any one. */
    boolean is(String verb, String pattern) {
        if (!method.equals(verb)) {
            return false;
        }
        String[] p = pattern.isEmpty() ? new String[0] : pattern.split("/");
        if (p.length != path.size()) {
            return false;
        }
        for (int i = 0; i < p.length; i++) {
            if (!p[i].equals("*") && !p[i].equals(path.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** True when some method answers this path (for 405 against 404). */
    boolean pathIs(String pattern) {
        String[] p = pattern.split("/");
        if (p.length != path.size()) {
            return false;
        }
        for (int i = 0; i < p.length; i++) {
            if (!p[i].equals("*") && !p[i].equals(path.get(i))) {
                return false;
            }
        }
        return true;
    }

    String seg(int i) {
        return path.get(i);
    }

    /** The JSON object sent, or an empty one when no body came. */
    @SuppressWarnings("unchecked")
    Map<String, Object> body() throws IOException {
        if (body == null) {
            byte[] raw;
            try (InputStream in = req.getInputStream()) {
                raw = in.readNBytes(MAX_BODY + 1);
            }
            if (raw.length > MAX_BODY) {
                throw new DummException(Reason.INVALID_ARGUMENT, "request body over " + MAX_BODY + " bytes");
            }
            String text = new String(raw, StandardCharsets.UTF_8).strip();
            if (text.isEmpty()) {
                body = Map.of();
            } else {
                Object v;
                try {
                    v = JSON.readValue(text, Object.class);
                } catch (JsonProcessingException e) {
                    throw new DummException(Reason.INVALID_ARGUMENT, "request body is not JSON: "
                            + e.getOriginalMessage());
                }
                if (!(v instanceof Map)) {
                    throw new DummException(Reason.INVALID_ARGUMENT, "request body must be a JSON object");
                }
                body = (Map<String, Object>) v;
            }
        }
        return body;
    }

    /** A string member of the body (or a query parameter of that name); null when absent. */
    String text(String name) throws IOException {
        Object v = body().get(name);
        if (v == null) {
            v = req.getParameter(name);
        }
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw new DummException(Reason.INVALID_ARGUMENT, "'" + name + "' must be a string");
        }
        return s;
    }

    String required(String name) throws IOException {
        String v = text(name);
        if (v == null || v.isBlank()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "'" + name + "' is required");
        }
        return v;
    }

    /** A whole number member (or query parameter); {@code dflt} when absent. */
    long number(String name, long dflt) throws IOException {
        Object v = body().get(name);
        if (v == null) {
            v = req.getParameter(name);
        }
        if (v == null) {
            return dflt;
        }
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        if (v instanceof String s && s.matches("-?[0-9]{1,18}")) {
            return Long.parseLong(s);
        }
        throw new DummException(Reason.INVALID_ARGUMENT, "'" + name + "' must be a whole number");
    }

    boolean flag(String name) throws IOException {
        Object v = body().get(name);
        if (v == null) {
            v = req.getParameter(name);
        }
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if ("true".equals(v) || "false".equals(v)) {
            return "true".equals(v);
        }
        throw new DummException(Reason.INVALID_ARGUMENT, "'" + name + "' must be true or false");
    }

    @SuppressWarnings("unchecked")
    List<String> textList(String name) throws IOException {
        Object v = body().get(name);
        if (v == null) {
            return List.of();
        }
        if (v instanceof List<?> l && l.stream().allMatch(x -> x instanceof String)) {
            return (List<String>) l;
        }
        throw new DummException(Reason.INVALID_ARGUMENT, "'" + name + "' must be a list of strings");
    }

    void send(int status, Object value) throws IOException {
        resp.setStatus(status);
        resp.setHeader("Cache-Control", "no-store");
        if (value == null) {
            return;
        }
        byte[] out = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(value);
        resp.setContentType("application/json;charset=utf-8");
        resp.setContentLength(out.length);
        resp.getOutputStream().write(out);
    }

    void error(int status, String reason, String message) throws IOException {
        send(status, RestViews.error(status, reason, message));
    }

    /** The HTTP status that fits a failure's reason. */
    static int status(Reason r) {
        return switch (r) {
            case INVALID_ARGUMENT -> 400;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, NOT_OWNED, INVALID_STATE -> 409;
            case BACKEND_UNAVAILABLE -> 503;
            case TIMEOUT -> 504;
            case GUEST_FAILURE -> 502;
            case HOST_ERROR -> 500;
        };
    }
}
