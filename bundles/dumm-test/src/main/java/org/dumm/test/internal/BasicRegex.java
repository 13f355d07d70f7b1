package org.dumm.test.internal;

import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A grep basic regular expression (POSIX BRE with GNU grep's extensions {@code \+ \? \| \< \> \w
 * \s \b}) translated to a {@link Pattern}, so evaltest lines are judged on the host from the
 * command's output, one exec per line. In a BRE {@code ( ) { } | + ?} are literal and their
 * backslashed forms are operators; {@code *} is literal at the start of an expression; {@code ^}
 * and {@code $} anchor only at the start and end of an expression (else they are literal);
 * bracket expressions take {@code [:class:]} names and a leading {@code ]}. A line matches when
 * the pattern is found in it, as with {@code grep}.
 */
final class BasicRegex {

    private static final Map<String, String> CLASSES = Map.ofEntries(
            Map.entry("alpha", "\\p{Alpha}"), Map.entry("digit", "0-9"), Map.entry("alnum", "\\p{Alnum}"),
            Map.entry("upper", "\\p{Upper}"), Map.entry("lower", "\\p{Lower}"), Map.entry("space", "\\s\\x0B"),
            Map.entry("blank", " \\t"), Map.entry("punct", "\\p{Punct}"), Map.entry("print", "\\p{Print}"),
            Map.entry("graph", "\\p{Graph}"), Map.entry("cntrl", "\\p{Cntrl}"), Map.entry("xdigit", "0-9A-Fa-f"));

    private BasicRegex() {
    }

    /** The Java pattern for {@code bre}; IllegalArgumentException when it is not a valid BRE. */
    static Pattern compile(String bre) {
        try {
            return Pattern.compile(translate(bre));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(e.getDescription(), e);
        }
    }

    /** True when {@code pattern} is found in {@code line}. */
    static boolean matches(Pattern pattern, String line) {
        return pattern.matcher(line).find();
    }

    static String translate(String bre) {
        StringBuilder out = new StringBuilder();
        int n = bre.length();
        boolean exprStart = true;
        for (int i = 0; i < n; i++) {
            char c = bre.charAt(i);
            boolean startHere = exprStart;
            exprStart = false;
            switch (c) {
                case '\\' -> {
                    if (i + 1 >= n) {
                        throw new IllegalArgumentException("trailing backslash");
                    }
                    char e = bre.charAt(++i);
                    switch (e) {
                        case '(', '|' -> {
                            out.append(e);
                            exprStart = true;
                        }
                        case ')', '{', '}', '+', '?' -> out.append(e);
                        case '<' -> out.append("\\b(?=\\w)");
                        case '>' -> out.append("\\b(?<=\\w)");
                        case 'w', 'W', 's', 'S', 'b', 'B' -> out.append('\\').append(e);
                        default -> {
                            if (e >= '1' && e <= '9') {
                                out.append('\\').append(e);
                            } else {
                                lit(out, e);
                            }
                        }
                    }
                }
                case '^' -> {
                    if (startHere) {
                        out.append('^');
                        exprStart = true; // "^*" is a literal star
                    } else {
                        out.append("\\^");
                    }
                }
                case '$' -> out.append(atExprEnd(bre, i + 1) ? "$" : "\\$");
                case '*' -> out.append(startHere ? "\\*" : "*");
                case '.' -> out.append('.');
                case '[' -> i = bracket(bre, i, out);
                case '(', ')', '{', '}', '|', '+', '?' -> out.append('\\').append(c);
                default -> lit(out, c);
            }
        }
        return out.toString();
    }

    /** A literal character: letters, digits, comma and space as they are, anything else backslashed (always literal in Java). */
    private static void lit(StringBuilder out, char c) {
        if (!Character.isLetterOrDigit(c) && c != ',' && c != ' ' && c < 128) {
            out.append('\\');
        }
        out.append(c);
    }

    private static boolean atExprEnd(String bre, int i) {
        return i >= bre.length() || bre.startsWith("\\)", i) || bre.startsWith("\\|", i);
    }

    /** Translates the bracket expression opening at {@code open}; returns the index of its closing ']'. */
    private static int bracket(String bre, int open, StringBuilder out) {
        int i = open + 1;
        int n = bre.length();
        StringBuilder cls = new StringBuilder("[");
        if (i < n && bre.charAt(i) == '^') {
            cls.append('^');
            i++;
        }
        boolean first = true;
        while (true) {
            if (i >= n) {
                throw new IllegalArgumentException("unclosed bracket expression");
            }
            char c = bre.charAt(i);
            if (c == ']' && !first) {
                break;
            }
            if (c == '[' && i + 1 < n && bre.charAt(i + 1) == ':') {
                int end = bre.indexOf(":]", i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException("unclosed character class");
                }
                String name = bre.substring(i + 2, end);
                String java = CLASSES.get(name);
                if (java == null) {
                    throw new IllegalArgumentException("unknown character class [:" + name + ":]");
                }
                cls.append(java);
                i = end + 2;
            } else {
                if (c == '\\' || c == '[' || c == ']' || c == '&' || c == '^') {
                    cls.append('\\');
                }
                cls.append(c);
                i++;
            }
            first = false;
        }
        out.append(cls).append(']');
        return i;
    }
}
