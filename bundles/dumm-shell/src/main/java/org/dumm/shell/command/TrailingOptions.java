package org.dumm.shell.command;

import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.Option;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

/**
 * Karaf reads options only before the first argument; Dumm's documented forms put them after
 * ({@code guest-info alice --json}). Commands collect the trailing tokens in a last multi-valued
 * argument and hand them here, which sets the command's own {@link Option} fields from them.
 */
final class TrailingOptions {

    private TrailingOptions() {
    }

    /**
     * Applies option tokens to {@code command}'s {@code @Option} fields.
     *
     * @return the tokens that are not options, in order
     */
    static List<String> apply(Object command, List<String> tokens) {
        List<String> rest = new ArrayList<>();
        if (tokens == null) {
            return rest;
        }
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            if (!token.startsWith("-") || token.equals("-")) {
                rest.add(token);
                continue;
            }
            String name = token;
            String inlineValue = null;
            int eq = token.indexOf('=');
            if (eq > 0) {
                name = token.substring(0, eq);
                inlineValue = token.substring(eq + 1);
            }
            Field field = find(command.getClass(), name);
            if (field == null) {
                throw new DummException(Reason.INVALID_ARGUMENT, "unknown option " + name);
            }
            try {
                field.setAccessible(true);
                if (field.getType() == boolean.class) {
                    field.setBoolean(command, inlineValue == null || Boolean.parseBoolean(inlineValue));
                    continue;
                }
                String value = inlineValue;
                if (value == null) {
                    if (i + 1 >= tokens.size()) {
                        throw new DummException(Reason.INVALID_ARGUMENT, "option " + name + " needs a value");
                    }
                    value = tokens.get(++i);
                }
                if (field.getType() == int.class) {
                    try {
                        field.setInt(command, Integer.parseInt(value));
                    } catch (NumberFormatException e) {
                        throw new DummException(Reason.INVALID_ARGUMENT, "option " + name + " needs a number, not '" + value + "'");
                    }
                } else if (field.getType() == List.class) {
                    // a repeatable option (multiValued): each occurrence adds one value
                    @SuppressWarnings("unchecked")
                    List<String> values = (List<String>) field.get(command);
                    List<String> more = values == null ? new ArrayList<>() : new ArrayList<>(values);
                    more.add(value);
                    field.set(command, more);
                } else {
                    field.set(command, value);
                }
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        return rest;
    }

    /** Applies the tokens and refuses any that is not an option. */
    static void applyAll(Object command, List<String> tokens) {
        List<String> rest = apply(command, tokens);
        if (!rest.isEmpty()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "unexpected argument '" + rest.get(0) + "'");
        }
    }

    private static Field find(Class<?> type, String name) {
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                Option o = f.getAnnotation(Option.class);
                if (o != null && (o.name().equals(name) || List.of(o.aliases()).contains(name))) {
                    return f;
                }
            }
        }
        return null;
    }
}
