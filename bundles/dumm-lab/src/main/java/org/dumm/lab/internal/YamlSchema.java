package org.dumm.lab.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A JSON Schema (the subset Dumm's lab schema uses: type, properties, required,
 * additionalProperties, propertyNames, min/max properties and items, items, pattern, enum,
 * anyOf, local $ref) checked against a YAML document as snakeyaml composed it, so that every
 * error names the line of the node at fault. Written here rather than taken from a JSON
 * validator because those work on JSON trees, which have lost the YAML lines.
 */
final class YamlSchema {

    /** One violation: where (line, path like {@code nodes.r1.mem}) and what. */
    record Violation(int line, String path, String message) {
        @Override
        public String toString() {
            return "line " + line + ": " + (path.isEmpty() ? "" : path + ": ") + message;
        }
    }

    private final Map<String, Object> root;
    private final Map<String, Pattern> patterns = new HashMap<>();

    private YamlSchema(Map<String, Object> root) {
        this.root = root;
    }

    /** The schema of a resource next to this class's package root (e.g. {@code /org/dumm/lab/lab.schema.json}). */
    @SuppressWarnings("unchecked")
    static YamlSchema load(String resource) {
        try (InputStream in = YamlSchema.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("schema " + resource + " is not in the bundle");
            }
            Object o = new Yaml(new SafeConstructor(new LoaderOptions()))
                    .load(new InputStreamReader(in, StandardCharsets.UTF_8));
            return new YamlSchema((Map<String, Object>) o);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read schema " + resource, e);
        }
    }

    /** Every violation of the document, in document order (empty: valid). */
    List<Violation> validate(Node document) {
        List<Violation> out = new ArrayList<>();
        check(document, root, "", out);
        out.sort((a, b) -> Integer.compare(a.line(), b.line()));
        return out;
    }

    static int line(Node n) {
        return n.getStartMark().getLine() + 1;
    }

    @SuppressWarnings("unchecked")
    private void check(Node node, Map<String, Object> schema, String path, List<Violation> out) {
        Object ref = schema.get("$ref");
        if (ref != null) {
            check(node, resolve(ref.toString()), path, out);
        }
        Object types = schema.get("type");
        if (types != null && !typeMatches(node, types)) {
            out.add(new Violation(line(node), path, "is " + typeOf(node) + ", must be " + describeTypes(types)));
            return;
        }
        List<Object> anyOf = (List<Object>) schema.get("anyOf");
        if (anyOf != null) {
            anyOf(node, anyOf, path, out);
        }
        List<Object> allowed = (List<Object>) schema.get("enum");
        if (allowed != null && node instanceof ScalarNode s && !allowed.stream().map(String::valueOf).toList().contains(s.getValue())) {
            out.add(new Violation(line(node), path, "'" + s.getValue() + "' is not one of " + allowed));
        }
        if (node instanceof ScalarNode s) {
            Object pattern = schema.get("pattern");
            if (pattern != null && s.getTag().equals(Tag.STR) && !pattern(pattern.toString()).matcher(s.getValue()).find()) {
                out.add(new Violation(line(node), path, "'" + s.getValue() + "' does not match " + pattern));
            }
        } else if (node instanceof MappingNode m) {
            object(m, schema, path, out);
        } else if (node instanceof SequenceNode q) {
            array(q, schema, path, out);
        }
    }

    @SuppressWarnings("unchecked")
    private void anyOf(Node node, List<Object> branches, String path, List<Violation> out) {
        List<Violation> closest = null;
        for (Object b : branches) {
            Map<String, Object> branch = resolveRef((Map<String, Object>) b);
            List<Violation> v = new ArrayList<>();
            check(node, branch, path, v);
            if (v.isEmpty()) {
                return;
            }
            // the branch of the node's own type tells the user most
            if (closest == null && (branch.get("type") == null || typeMatches(node, branch.get("type")))) {
                closest = v;
            }
        }
        if (closest != null) {
            out.addAll(closest);
        } else {
            List<String> kinds = new ArrayList<>();
            for (Object b : branches) {
                Object t = resolveRef((Map<String, Object>) b).get("type");
                kinds.add(t == null ? "?" : describeTypes(t));
            }
            out.add(new Violation(line(node), path, "is " + typeOf(node) + ", must be " + String.join(" or ", kinds)));
        }
    }

    @SuppressWarnings("unchecked")
    private void object(MappingNode m, Map<String, Object> schema, String path, List<Violation> out) {
        Map<String, Object> properties = (Map<String, Object>) schema.getOrDefault("properties", Map.of());
        Object additional = schema.get("additionalProperties");
        Map<String, Object> names = (Map<String, Object>) schema.get("propertyNames");
        Set<String> seen = new HashSet<>();
        for (NodeTuple t : m.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                out.add(new Violation(line(t.getKeyNode()), path, "keys must be plain names"));
                continue;
            }
            String key = k.getValue();
            String at = path.isEmpty() ? key : path + "." + key;
            if (!seen.add(key)) {
                out.add(new Violation(line(k), at, "is given twice"));
                continue;
            }
            if (names != null && names.get("pattern") != null && !pattern(names.get("pattern").toString()).matcher(key).find()) {
                out.add(new Violation(line(k), at, "'" + key + "' is not a valid name (" + names.get("pattern") + ")"));
                continue;
            }
            Object p = properties.get(key);
            if (p != null) {
                check(t.getValueNode(), (Map<String, Object>) p, at, out);
            } else if (Boolean.FALSE.equals(additional)) {
                out.add(new Violation(line(k), at, "unknown key" + (properties.isEmpty() ? ""
                        : " (known: " + String.join(", ", properties.keySet()) + ")")));
            } else if (additional instanceof Map<?, ?> a) {
                check(t.getValueNode(), (Map<String, Object>) a, at, out);
            }
        }
        for (Object r : (List<Object>) schema.getOrDefault("required", List.of())) {
            if (!seen.contains(r.toString())) {
                out.add(new Violation(line(m), path, "'" + r + "' is missing"));
            }
        }
        Object min = schema.get("minProperties");
        if (min != null && m.getValue().size() < ((Number) min).intValue()) {
            out.add(new Violation(line(m), path, "needs at least " + min + " entr" + (((Number) min).intValue() == 1 ? "y" : "ies")));
        }
    }

    @SuppressWarnings("unchecked")
    private void array(SequenceNode q, Map<String, Object> schema, String path, List<Violation> out) {
        Object min = schema.get("minItems");
        if (min != null && q.getValue().size() < ((Number) min).intValue()) {
            out.add(new Violation(line(q), path, "needs at least " + min + " item" + (((Number) min).intValue() == 1 ? "" : "s")));
        }
        Object items = schema.get("items");
        if (items instanceof Map<?, ?> itemSchema) {
            List<Node> values = q.getValue();
            for (int i = 0; i < values.size(); i++) {
                check(values.get(i), (Map<String, Object>) itemSchema, path + "[" + i + "]", out);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> resolveRef(Map<String, Object> schema) {
        Object ref = schema.get("$ref");
        return ref == null || schema.size() > 2 ? schema : resolve(ref.toString());
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> resolve(String ref) {
        if (!ref.startsWith("#/")) {
            throw new IllegalStateException("only local references are supported: " + ref);
        }
        Object at = root;
        for (String part : ref.substring(2).split("/")) {
            at = ((Map<String, Object>) at).get(part);
            if (at == null) {
                throw new IllegalStateException("no " + ref + " in the schema");
            }
        }
        return (Map<String, Object>) at;
    }

    private Pattern pattern(String p) {
        return patterns.computeIfAbsent(p, Pattern::compile);
    }

    private static boolean typeMatches(Node node, Object types) {
        String actual = typeOf(node);
        if (types instanceof List<?> list) {
            return list.stream().anyMatch(t -> matches(actual, t.toString()));
        }
        return matches(actual, types.toString());
    }

    private static boolean matches(String actual, String type) {
        return actual.equals(type) || type.equals("number") && actual.equals("integer");
    }

    /** JSON's name for a YAML node's kind, after YAML's own typing of plain scalars. */
    static String typeOf(Node node) {
        if (node instanceof MappingNode) {
            return "object";
        }
        if (node instanceof SequenceNode) {
            return "array";
        }
        Tag tag = node.getTag();
        if (tag.equals(Tag.INT)) {
            return "integer";
        }
        if (tag.equals(Tag.FLOAT)) {
            return "number";
        }
        if (tag.equals(Tag.BOOL)) {
            return "boolean";
        }
        if (tag.equals(Tag.NULL)) {
            return "null";
        }
        return "string";
    }

    private static String describeTypes(Object types) {
        if (types instanceof List<?> list) {
            return String.join(" or ", list.stream().map(Object::toString).toList());
        }
        String t = types.toString();
        return t.equals("object") ? "a mapping" : t.equals("array") ? "a list" : t;
    }
}
