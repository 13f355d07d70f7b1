package org.dumm.shell.command;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The text of {@code --json} output: maps, collections, records (their components in order),
 * strings, numbers, booleans, enums (by name) and null, laid out as Jackson's default pretty
 * printer laid them out when the shell used it (objects one member per line, indented two
 * spaces per object level; arrays on the line they open). Without Jackson the shell does not
 * pull three bundles into every Karaf start, and the first --json does not pay ~0.3 s to set a
 * mapper up.
 */
final class JsonText {

    private JsonText() {
    }

    static String of(Object value) {
        StringBuilder out = new StringBuilder(512);
        value(out, value, 0);
        return out.toString();
    }

    /** {@code level}: how many objects enclose this value (arrays do not indent). */
    private static void value(StringBuilder out, Object v, int level) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof CharSequence s) {
            quoted(out, s.toString());
        } else if (v instanceof Number || v instanceof Boolean) {
            out.append(v);
        } else if (v instanceof Enum<?> e) {
            quoted(out, e.name());
        } else if (v instanceof Map<?, ?> m) {
            object(out, m, level);
        } else if (v instanceof Collection<?> c) {
            array(out, c, level);
        } else if (v.getClass().isRecord()) {
            object(out, components(v), level);
        } else {
            quoted(out, v.toString());
        }
    }

    private static void object(StringBuilder out, Map<?, ?> map, int level) {
        if (map.isEmpty()) {
            out.append("{ }");
            return;
        }
        out.append('{');
        Iterator<? extends Map.Entry<?, ?>> members = map.entrySet().iterator();
        while (members.hasNext()) {
            Map.Entry<?, ?> m = members.next();
            member(out, String.valueOf(m.getKey() instanceof Enum<?> e ? e.name() : m.getKey()), m.getValue(), level + 1);
            out.append(members.hasNext() ? "," : "");
        }
        newLine(out, level);
        out.append('}');
    }

    /** A record's components by name, in declaration order. */
    private static Map<String, Object> components(Object r) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (RecordComponent c : r.getClass().getRecordComponents()) {
            try {
                m.put(c.getName(), c.getAccessor().invoke(r));
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException("cannot read " + c + " of " + r.getClass().getName(), e);
            }
        }
        return m;
    }

    private static void member(StringBuilder out, String name, Object value, int level) {
        newLine(out, level);
        quoted(out, name);
        out.append(" : ");
        value(out, value, level);
    }

    private static void array(StringBuilder out, Collection<?> items, int level) {
        if (items.isEmpty()) {
            out.append("[ ]");
            return;
        }
        out.append("[ ");
        boolean first = true;
        for (Object item : items) {
            out.append(first ? "" : ", ");
            first = false;
            value(out, item, level);
        }
        out.append(" ]");
    }

    private static void newLine(StringBuilder out, int level) {
        out.append('\n');
        for (int i = 0; i < level; i++) {
            out.append("  ");
        }
    }

    /** RFC 8259 string: quote, backslash and control characters escaped, the rest as is. */
    private static void quoted(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04X", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
