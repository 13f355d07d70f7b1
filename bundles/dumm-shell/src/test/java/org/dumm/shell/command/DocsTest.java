package org.dumm.shell.command;

import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.Test;

/**
 * The documents in the repository's root and {@code docs/} stay usable: their relative links
 * lead somewhere, the user guide has a section for every {@code dumm:*} command, and the README
 * stays an introduction.
 *
 * <p>Convention for the user guide: each command has a level-3 heading whose first word is the
 * command's name without the scope, optionally in backticks, e.g. {@code ### guest-create}. The
 * command names come from the compiled command classes ({@link ShellDummInfoTest#dummCommands()}).
 *
 * <p>Links: inline links and images ({@code [text](target)}) and reference definitions
 * ({@code [id]: target}) outside code blocks and code spans. Targets with a scheme
 * ({@code https:}, {@code mailto:}) are not checked. A relative target must name an existing file
 * or directory, relative to the document; an {@code #anchor} into a markdown file (or into the
 * document itself) must match one of its headings, slugged as GitHub does.
 *
 * <p>Runs with the working directory {@code bundles/dumm-shell}: the repository's root is
 * {@code ../..}.
 */
public class DocsTest {

    /** The README is the front page: what Dumm is, set-up, a tour, the commands, links. */
    static final int README_MAX_LINES = 130;

    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
    private static final Pattern FENCE = Pattern.compile("^\\s{0,3}(```|~~~)");
    private static final Pattern HEADING = Pattern.compile("^\\s{0,3}(#{1,6})\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern CODE_SPAN = Pattern.compile("(`+)(.+?)\\1");
    private static final Pattern INLINE_LINK = Pattern.compile("!?\\[([^\\]]*)\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    private static final Pattern REFERENCE_DEFINITION = Pattern.compile("^\\s{0,3}\\[[^\\]]+\\]:\\s*<?(\\S+?)>?(?:\\s+.*)?$");
    private static final Pattern SCHEME = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

    @Test
    public void everyRelativeLinkResolves() throws IOException {
        List<String> broken = new ArrayList<>();
        Map<Path, Set<String>> anchorCache = new HashMap<>();
        for (Path doc : documents()) {
            List<String> lines = Files.readAllLines(doc, StandardCharsets.UTF_8);
            boolean inFence = false;
            for (int n = 0; n < lines.size(); n++) {
                String line = lines.get(n);
                if (FENCE.matcher(line).find()) {
                    inFence = !inFence;
                    continue;
                }
                if (inFence) {
                    continue;
                }
                for (String target : linkTargets(line)) {
                    String problem = check(doc, target, anchorCache);
                    if (problem != null) {
                        broken.add(ROOT.relativize(doc) + ":" + (n + 1) + ": link '" + target + "': " + problem);
                    }
                }
            }
        }
        if (!broken.isEmpty()) {
            fail(broken.size() + " broken link(s) in the documents:\n  " + String.join("\n  ", broken));
        }
    }

    @Test
    public void everyCommandHasASectionInTheUserGuide() throws Exception {
        Path guide = ROOT.resolve("docs/user-guide.md");
        assertTrue("missing " + guide, Files.isRegularFile(guide));
        Set<String> sections = new TreeSet<>();
        for (String[] h : headings(guide)) {
            if (h[0].length() == 3) {
                String first = h[1].replace("`", "").trim().split("\\s+")[0];
                sections.add(first.startsWith("dumm:") ? first.substring(5) : first);
            }
        }
        Set<String> commands = ShellDummInfoTest.dummCommands();
        assertTrue("found no dumm:* commands to check", !commands.isEmpty());
        Set<String> missing = new TreeSet<>(commands);
        missing.removeAll(sections);
        if (!missing.isEmpty()) {
            fail("docs/user-guide.md has no section for " + missing.size() + " command(s): " + missing
                    + " (convention: a level-3 heading whose first word is the command name, e.g. '### "
                    + missing.iterator().next() + "')");
        }
    }

    @Test
    public void theReadmeStaysShort() throws IOException {
        Path readme = ROOT.resolve("README.md");
        assertTrue("missing " + readme, Files.isRegularFile(readme));
        int lines = Files.readAllLines(readme, StandardCharsets.UTF_8).size();
        assertTrue("README.md has " + lines + " lines, at most " + README_MAX_LINES
                + " allowed: move details into docs/ and history into CHANGELOG.md", lines <= README_MAX_LINES);
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** README.md, CHANGELOG.md and docs/*.md; each must exist. */
    static List<Path> documents() throws IOException {
        List<Path> docs = new ArrayList<>();
        for (String name : List.of("README.md", "CHANGELOG.md")) {
            Path p = ROOT.resolve(name);
            assertTrue("missing " + p + " (is the working directory bundles/dumm-shell?)", Files.isRegularFile(p));
            docs.add(p);
        }
        Path dir = ROOT.resolve("docs");
        assertTrue("missing directory " + dir, Files.isDirectory(dir));
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> md = files.filter(f -> f.getFileName().toString().endsWith(".md")).sorted().toList();
            assertTrue("no markdown files in " + dir, !md.isEmpty());
            docs.addAll(md);
        }
        return docs;
    }

    /** Link targets on one line outside a code block, code spans left out. */
    static List<String> linkTargets(String line) {
        List<String> targets = new ArrayList<>();
        Matcher def = REFERENCE_DEFINITION.matcher(line);
        if (def.matches()) {
            targets.add(def.group(1));
            return targets;
        }
        Matcher m = INLINE_LINK.matcher(CODE_SPAN.matcher(line).replaceAll(""));
        while (m.find()) {
            targets.add(m.group(2));
        }
        return targets;
    }

    /** Null when {@code target}, found in {@code doc}, resolves; else what is wrong. */
    private static String check(Path doc, String target, Map<Path, Set<String>> anchorCache) throws IOException {
        if (SCHEME.matcher(target).find() || target.startsWith("//")) {
            return null; // absolute URL: not checked here
        }
        int hash = target.indexOf('#');
        String pathPart = URLDecoder.decode(hash < 0 ? target : target.substring(0, hash), StandardCharsets.UTF_8);
        String anchor = hash < 0 ? null : URLDecoder.decode(target.substring(hash + 1), StandardCharsets.UTF_8);
        Path file = pathPart.isEmpty() ? doc
                : pathPart.startsWith("/") ? ROOT.resolve(pathPart.substring(1)).normalize()
                : doc.getParent().resolve(pathPart).normalize();
        if (!Files.exists(file)) {
            return "no such file " + ROOT.relativize(file);
        }
        if (anchor == null || anchor.isEmpty() || !file.getFileName().toString().endsWith(".md")) {
            return null;
        }
        Set<String> anchors = anchorCache.computeIfAbsent(file, DocsTest::anchorsOrEmpty);
        if (!anchors.contains(anchor)) {
            return "no heading with anchor '#" + anchor + "' in " + ROOT.relativize(file);
        }
        return null;
    }

    private static Set<String> anchorsOrEmpty(Path file) {
        try {
            return anchors(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The anchors GitHub gives the headings of a markdown file, duplicates numbered. */
    static Set<String> anchors(Path file) throws IOException {
        Set<String> anchors = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String[] h : headings(file)) {
            String slug = slug(h[1]);
            int count = seen.merge(slug, 1, Integer::sum);
            anchors.add(count == 1 ? slug : slug + "-" + (count - 1));
        }
        return anchors;
    }

    /** ATX headings outside code blocks: {level hashes, text}. */
    static List<String[]> headings(Path file) throws IOException {
        List<String[]> result = new ArrayList<>();
        boolean inFence = false;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (FENCE.matcher(line).find()) {
                inFence = !inFence;
                continue;
            }
            Matcher m = HEADING.matcher(line);
            if (!inFence && m.matches()) {
                result.add(new String[] {m.group(1), m.group(2)});
            }
        }
        return result;
    }

    /**
     * GitHub's heading anchor: the heading's text (links reduced to their text, code and emphasis
     * marks dropped), lower-cased, every character but letters, digits, spaces, '-' and '_'
     * removed, spaces turned into '-'.
     */
    static String slug(String heading) {
        String text = heading.replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1").replaceAll("[`*]", "");
        StringBuilder sb = new StringBuilder();
        text.toLowerCase(Locale.ROOT).codePoints().forEach(c -> {
            if (Character.isLetterOrDigit(c) || c == '-' || c == '_') {
                sb.appendCodePoint(c);
            } else if (c == ' ') {
                sb.append('-');
            }
        });
        return sb.toString();
    }
}
