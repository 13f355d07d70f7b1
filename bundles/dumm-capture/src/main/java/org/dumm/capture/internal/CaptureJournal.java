package org.dumm.capture.internal;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;

import org.dumm.api.CaptureRequest;

/**
 * The captures to take up again when Dumm starts: those that were running into a regular file
 * when it stopped. Kept beside the mesh's state ({@code <workDir>/captures.properties}), written
 * whole and atomically after each change; a capture's {@code ID.*} keys hold its request, its
 * counters and when it started, so that a count or duration goes on where it was.
 */
final class CaptureJournal {

    private static final System.Logger LOG = System.getLogger(CaptureJournal.class.getName());

    /** One capture to resume; {@code deadline} is null without a duration. */
    record Entry(String id, CaptureRequest request, long packets, long bytes, long dropped, Instant started,
                 Instant deadline) {
    }

    private final Path file;

    CaptureJournal(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /** What the file holds; a file that cannot be read is logged and taken as empty. */
    List<Entry> read() {
        List<Entry> entries = new ArrayList<>();
        if (!Files.isRegularFile(file)) {
            return entries;
        }
        Properties p = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "captures to resume: cannot read {0}: {1}", file, e.getMessage());
            return entries;
        }
        TreeSet<String> ids = new TreeSet<>();
        for (String key : p.stringPropertyNames()) {
            ids.add(key.substring(0, Math.max(0, key.indexOf('.'))));
        }
        for (String id : ids) {
            try {
                String deadline = p.getProperty(id + ".deadline");
                CaptureRequest req = new CaptureRequest(p.getProperty(id + ".guest"), p.getProperty(id + ".iface"),
                        p.getProperty(id + ".bridge"), p.getProperty(id + ".filter"), p.getProperty(id + ".file"),
                        Long.parseLong(p.getProperty(id + ".count", "0")), null);
                entries.add(new Entry(id, req, Long.parseLong(p.getProperty(id + ".packets", "0")),
                        Long.parseLong(p.getProperty(id + ".bytes", "0")), Long.parseLong(p.getProperty(id + ".dropped", "0")),
                        Instant.parse(p.getProperty(id + ".started")), deadline == null ? null : Instant.parse(deadline)));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "captures to resume: entry {0} of {1} is broken, skipped: {2}", id, file, e.toString());
            }
        }
        return entries;
    }

    /** Replaces the file with {@code entries}; none removes it. Failures are logged: a capture never fails for them. */
    void write(Collection<Entry> entries) {
        try {
            if (entries.isEmpty()) {
                Files.deleteIfExists(file);
                return;
            }
            Properties p = new Properties();
            for (Entry e : entries) {
                CaptureRequest r = e.request();
                put(p, e.id() + ".guest", r.guest());
                put(p, e.id() + ".iface", r.iface());
                put(p, e.id() + ".bridge", r.bridge());
                put(p, e.id() + ".filter", r.filter());
                put(p, e.id() + ".file", r.file());
                put(p, e.id() + ".count", Long.toString(r.count()));
                put(p, e.id() + ".packets", Long.toString(e.packets()));
                put(p, e.id() + ".bytes", Long.toString(e.bytes()));
                put(p, e.id() + ".dropped", Long.toString(e.dropped()));
                put(p, e.id() + ".started", e.started().toString());
                put(p, e.id() + ".deadline", e.deadline() == null ? null : e.deadline().toString());
            }
            Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
            try (Writer out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                p.store(out, "Dumm's running captures, resumed at its next start");
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "captures to resume: cannot write {0}: {1}", file, e.getMessage());
        }
    }

    private static void put(Properties p, String key, String value) {
        if (value != null) {
            p.setProperty(key, value);
        }
    }

    /** The deadline of a request started at {@code started}, or null without a duration. */
    static Instant deadline(Instant started, Duration duration) {
        return duration == null ? null : started.plus(duration);
    }
}
