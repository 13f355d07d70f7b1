package org.dumm.core.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.dumm.api.Impairment;
import org.dumm.api.LinkState;
import org.dumm.api.Transport;
import org.dumm.core.internal.MeshStore.BridgeFile;
import org.dumm.core.internal.MeshStore.GuestFile;
import org.dumm.core.internal.MeshStore.IfaceFile;
import org.dumm.core.internal.MeshStore.LinkFile;
import org.dumm.core.internal.MeshStore.MeshFile;

/**
 * guest.json and mesh.json to and from bytes, by hand. Jackson cost the mesh's activation ~0.3 s
 * to set itself up and ~3.5 ms per guest.json read (fresh JVM, 50 guests: every Karaf start);
 * writing costs about the same either way. The shapes are fixed (the records in
 * {@link MeshStore}); reading accepts any JSON layout, ignores unknown fields and takes a missing
 * field as null (0 for a number), as Jackson did with the files it wrote before.
 */
final class StateJson {

    private StateJson() {
    }

    // ---- writing -------------------------------------------------------------------------------

    static byte[] guest(GuestFile g) {
        List<byte[]> items = new ArrayList<>(g.interfaces().size());
        for (IfaceFile i : g.interfaces()) {
            items.add(iface(i));
        }
        return document(guestHead(g), items);
    }

    /**
     * guest.json up to its last field's opening bracket: the interfaces ({@link #iface}) follow
     * (see {@link #document}); {@code g}'s own interfaces are not rendered.
     */
    static String guestHead(GuestFile g) {
        Out o = new Out();
        o.open('{');
        o.field("name").string(g.name());
        o.field("backend").string(g.backend());
        o.field("kernel").string(g.kernel());
        o.field("master").string(g.master());
        o.field("memoryMb").raw(Integer.toString(g.memoryMb()));
        o.field("extraArgs").strings(g.extraArgs());
        if (g.modules() != null) { // absent in files of guests that name none, as before
            o.field("modules").string(g.modules());
        }
        o.field("interfaces").open('[');
        return o.text();
    }

    /** One element of guest.json's interfaces. */
    static byte[] iface(IfaceFile i) {
        Out o = new Out(2);
        o.open('{');
        o.field("name").string(i.name());
        o.field("tap").string(i.tap());
        o.field("mac").string(i.mac());
        o.field("transport").string(i.transport() == null ? null : i.transport().name());
        o.close('}');
        return o.bytes();
    }

    static byte[] mesh(MeshFile m) {
        List<byte[]> items = new ArrayList<>(m.links().size());
        for (LinkFile l : m.links()) {
            items.add(link(l));
        }
        return document(meshHead(m.bridges()), items);
    }

    /** mesh.json up to its last field's opening bracket: the links ({@link #link}) follow. */
    static String meshHead(List<BridgeFile> bridges) {
        Out o = new Out();
        o.open('{');
        o.field("bridges").open('[');
        for (BridgeFile b : bridges) {
            o.item().open('{');
            o.field("name").string(b.name());
            o.close('}');
        }
        o.close(']');
        o.field("links").open('[');
        return o.text();
    }

    /** One element of mesh.json's links. */
    static byte[] link(LinkFile l) {
        Out o = new Out(2);
        o.open('{');
        o.field("guest").string(l.guest());
        o.field("iface").string(l.iface());
        o.field("bridge").string(l.bridge());
        o.field("addresses").strings(l.addresses());
        if (!l.link().carrier()) { // absent while the cable is plugged in, as before
            o.field("carrier").raw("false");
        }
        impairment(o, "toGuest", l.link().toGuest());
        impairment(o, "fromGuest", l.link().fromGuest());
        o.close('}');
        return o.bytes();
    }

    private static final byte[] ITEM = ",\n    ".getBytes(StandardCharsets.UTF_8);
    private static final byte[] END_OF_ITEMS = "\n  ]\n}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] END_OF_NONE = "]\n}".getBytes(StandardCharsets.UTF_8);

    /**
     * A whole file: {@code head} (a top-level object open up to its last field's '['), the
     * elements rendered two levels deep, the closing brackets; the bytes {@link Out} would have
     * written in one pass, copied into one array (this runs on every change of the mesh, mostly
     * before the JIT has compiled it).
     */
    static byte[] document(String head, List<byte[]> items) {
        byte[] h = head.getBytes(StandardCharsets.UTF_8);
        int length = h.length + (items.isEmpty() ? END_OF_NONE.length : END_OF_ITEMS.length);
        for (byte[] item : items) {
            length += item.length + ITEM.length;
        }
        byte[] out = new byte[length - (items.isEmpty() ? 0 : 1)];
        System.arraycopy(h, 0, out, 0, h.length);
        int at = h.length;
        for (int k = 0; k < items.size(); k++) {
            int skip = k == 0 ? 1 : 0; // no comma before the first
            System.arraycopy(ITEM, skip, out, at, ITEM.length - skip);
            at += ITEM.length - skip;
            byte[] item = items.get(k);
            System.arraycopy(item, 0, out, at, item.length);
            at += item.length;
        }
        byte[] end = items.isEmpty() ? END_OF_NONE : END_OF_ITEMS;
        System.arraycopy(end, 0, out, at, end.length);
        return out;
    }

    private static void impairment(Out o, String name, Impairment m) {
        if (m.isNone()) {
            return;
        }
        o.field(name).open('{');
        o.field("delayUs").raw(Long.toString(m.delayMicros()));
        o.field("jitterUs").raw(Long.toString(m.jitterMicros()));
        o.field("lossPercent").raw(Double.toString(m.lossPercent()));
        o.field("duplicatePercent").raw(Double.toString(m.duplicatePercent()));
        o.field("corruptPercent").raw(Double.toString(m.corruptPercent()));
        o.field("reorderPercent").raw(Double.toString(m.reorderPercent()));
        o.field("rateBitsPerSecond").raw(Long.toString(m.rateBitsPerSecond()));
        o.close('}');
    }

    private static Impairment readImpairment(Object v, String what) throws IOException {
        if (v == null) {
            return Impairment.NONE;
        }
        Map<String, Object> m = object(v, what);
        try {
            return new Impairment(whole(m.get("delayUs")), whole(m.get("jitterUs")), number(m.get("lossPercent")),
                    number(m.get("duplicatePercent")), number(m.get("corruptPercent")),
                    number(m.get("reorderPercent")), whole(m.get("rateBitsPerSecond")));
        } catch (IllegalArgumentException e) {
            throw new IOException(what + ": " + e.getMessage());
        }
    }

    private static long whole(Object v) throws IOException {
        if (v == null) {
            return 0;
        }
        if (!(v instanceof Long l)) {
            throw new IOException("not a whole number: " + v);
        }
        return l;
    }

    private static double number(Object v) throws IOException {
        if (v == null) {
            return 0;
        }
        if (!(v instanceof Number n)) {
            throw new IOException("not a number: " + v);
        }
        return n.doubleValue();
    }

    /** Indented output, two spaces per level, one field or item per line. */
    private static final class Out {
        private static final String INDENT = "                "; // the files nest 4 deep at most
        private final StringBuilder sb;
        private int depth;
        private boolean first = true;

        Out() {
            sb = new StringBuilder(1024);
        }

        /** For a piece placed {@code depth} levels deep in a document. */
        Out(int depth) {
            sb = new StringBuilder(256);
            this.depth = depth;
        }

        Out field(String name) {
            item();
            quote(name);
            sb.append(" : ");
            return this;
        }

        /** Starts an array element or a field: comma, new line, indent. */
        Out item() {
            if (depth > 0) {
                if (!first) {
                    sb.append(',');
                }
                sb.append('\n').append(INDENT, 0, 2 * depth);
            }
            first = false;
            return this;
        }

        void open(char c) {
            sb.append(c);
            depth++;
            first = true;
        }

        void close(char c) {
            depth--;
            if (!first) {
                sb.append('\n').append(INDENT, 0, 2 * depth);
            }
            sb.append(c);
            first = false;
        }

        void string(String s) {
            if (s == null) {
                sb.append("null");
            } else {
                quote(s);
            }
        }

        void raw(String s) {
            sb.append(s);
        }

        void strings(List<String> list) {
            open('[');
            for (String s : list) {
                item().string(s);
            }
            close(']');
        }

        private void quote(String s) {
            sb.append('"');
            int from = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\' || c < 0x20) {
                    sb.append(s, from, i);
                    switch (c) {
                        case '"' -> sb.append("\\\"");
                        case '\\' -> sb.append("\\\\");
                        case '\n' -> sb.append("\\n");
                        case '\r' -> sb.append("\\r");
                        case '\t' -> sb.append("\\t");
                        default -> sb.append(String.format("\\u%04x", (int) c));
                    }
                    from = i + 1;
                }
            }
            sb.append(s, from, s.length()).append('"');
        }

        byte[] bytes() {
            return sb.toString().getBytes(StandardCharsets.UTF_8);
        }

        String text() {
            return sb.toString();
        }
    }

    // ---- reading -------------------------------------------------------------------------------

    static GuestFile readGuest(byte[] bytes) throws IOException {
        Map<String, Object> o = object(new Parser(bytes).document(), "guest.json");
        List<IfaceFile> ifaces = new ArrayList<>();
        for (Object item : list(o.get("interfaces"), "interfaces")) {
            Map<String, Object> i = object(item, "an interface");
            String transport = text(i.get("transport"), "transport");
            try {
                ifaces.add(new IfaceFile(text(i.get("name"), "name"), text(i.get("tap"), "tap"),
                        text(i.get("mac"), "mac"), transport == null ? null : Transport.valueOf(transport)));
            } catch (IllegalArgumentException e) {
                throw new IOException("unknown transport '" + transport + "'");
            }
        }
        Object memory = o.get("memoryMb");
        if (memory != null && !(memory instanceof Long)) {
            throw new IOException("memoryMb is not a whole number: " + memory);
        }
        return new GuestFile(text(o.get("name"), "name"), text(o.get("backend"), "backend"),
                text(o.get("kernel"), "kernel"), text(o.get("master"), "master"),
                memory == null ? 0 : Math.toIntExact((Long) memory), strings(o.get("extraArgs"), "extraArgs"), ifaces,
                text(o.get("modules"), "modules"));
    }

    static MeshFile readMesh(byte[] bytes) throws IOException {
        Map<String, Object> o = object(new Parser(bytes).document(), "mesh.json");
        List<BridgeFile> bridges = new ArrayList<>();
        for (Object item : list(o.get("bridges"), "bridges")) {
            bridges.add(new BridgeFile(text(object(item, "a bridge").get("name"), "name")));
        }
        List<LinkFile> links = new ArrayList<>();
        for (Object item : list(o.get("links"), "links")) {
            Map<String, Object> l = object(item, "a link");
            Object carrier = l.get("carrier");
            if (carrier != null && !(carrier instanceof Boolean)) {
                throw new IOException("carrier is not true or false: " + carrier);
            }
            LinkState state = new LinkState(!Boolean.FALSE.equals(carrier), readImpairment(l.get("toGuest"), "toGuest"),
                    readImpairment(l.get("fromGuest"), "fromGuest"));
            links.add(new LinkFile(text(l.get("guest"), "guest"), text(l.get("iface"), "iface"),
                    text(l.get("bridge"), "bridge"), strings(l.get("addresses"), "addresses"), state));
        }
        return new MeshFile(bridges, links);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v, String what) throws IOException {
        if (!(v instanceof Map)) {
            throw new IOException(what + " is not a JSON object");
        }
        return (Map<String, Object>) v;
    }

    private static List<?> list(Object v, String what) throws IOException {
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l)) {
            throw new IOException(what + " is not a JSON array");
        }
        return l;
    }

    private static String text(Object v, String what) throws IOException {
        if (v != null && !(v instanceof String)) {
            throw new IOException(what + " is not a string: " + v);
        }
        return (String) v;
    }

    private static List<String> strings(Object v, String what) throws IOException {
        List<String> result = new ArrayList<>();
        for (Object item : list(v, what)) {
            result.add(text(item, what));
        }
        return result;
    }

    /** JSON text to maps, lists, strings, longs, doubles, booleans and nulls. */
    private static final class Parser {
        private final String s;
        private int pos;

        Parser(byte[] bytes) {
            this.s = new String(bytes, StandardCharsets.UTF_8);
        }

        Object document() throws IOException {
            Object v = value();
            space();
            if (pos != s.length()) {
                throw error("text after the end");
            }
            return v;
        }

        private Object value() throws IOException {
            space();
            if (pos >= s.length()) {
                throw error("unexpected end");
            }
            char c = s.charAt(pos);
            switch (c) {
                case '{':
                    return object();
                case '[':
                    return array();
                case '"':
                    return string();
                case 't':
                    return word("true", Boolean.TRUE);
                case 'f':
                    return word("false", Boolean.FALSE);
                case 'n':
                    return word("null", null);
                default:
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        return number();
                    }
                    throw error("unexpected '" + c + "'");
            }
        }

        private Map<String, Object> object() throws IOException {
            Map<String, Object> m = new LinkedHashMap<>();
            pos++; // {
            space();
            if (peek() == '}') {
                pos++;
                return m;
            }
            while (true) {
                space();
                if (peek() != '"') {
                    throw error("expected a field name");
                }
                String key = string();
                space();
                expect(':');
                m.put(key, value());
                space();
                char c = next();
                if (c == '}') {
                    return m;
                }
                if (c != ',') {
                    throw error("expected ',' or '}'");
                }
            }
        }

        private List<Object> array() throws IOException {
            List<Object> l = new ArrayList<>();
            pos++; // [
            space();
            if (peek() == ']') {
                pos++;
                return l;
            }
            while (true) {
                l.add(value());
                space();
                char c = next();
                if (c == ']') {
                    return l;
                }
                if (c != ',') {
                    throw error("expected ',' or ']'");
                }
            }
        }

        private String string() throws IOException {
            pos++; // opening quote
            StringBuilder sb = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return sb.toString();
                }
                if (c != '\\') {
                    sb.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) {
                            throw error("cut-short \\u escape");
                        }
                        try {
                            sb.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw error("bad \\u escape");
                        }
                        pos += 4;
                    }
                    default -> throw error("bad escape '\\" + e + "'");
                }
            }
        }

        private Object number() throws IOException {
            int start = pos;
            while (pos < s.length() && "+-0123456789.eE".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
            String n = s.substring(start, pos);
            try {
                if (n.indexOf('.') < 0 && n.indexOf('e') < 0 && n.indexOf('E') < 0) {
                    return Long.parseLong(n);
                }
                return Double.parseDouble(n);
            } catch (NumberFormatException e) {
                throw error("bad number '" + n + "'");
            }
        }

        private Object word(String w, Object v) throws IOException {
            if (!s.startsWith(w, pos)) {
                throw error("unexpected text");
            }
            pos += w.length();
            return v;
        }

        private void space() {
            while (pos < s.length() && " \t\r\n".indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
        }

        private char peek() throws IOException {
            if (pos >= s.length()) {
                throw error("unexpected end");
            }
            return s.charAt(pos);
        }

        private char next() throws IOException {
            char c = peek();
            pos++;
            return c;
        }

        private void expect(char c) throws IOException {
            if (next() != c) {
                throw error("expected '" + c + "'");
            }
        }

        private IOException error(String what) {
            return new IOException("bad JSON at character " + pos + ": " + what);
        }
    }
}
