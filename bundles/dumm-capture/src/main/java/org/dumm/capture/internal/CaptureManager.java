package org.dumm.capture.internal;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.dumm.api.Capture;
import org.dumm.api.CaptureRequest;
import org.dumm.api.CaptureService;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Guest;
import org.dumm.api.Iface;
import org.dumm.api.Mesh;
import org.dumm.nativ.NativeException;
import org.dumm.nativ.net.BpfProgram;
import org.dumm.nativ.net.Link;
import org.dumm.nativ.net.PacketSocket;
import org.dumm.nativ.net.RtLink;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

/**
 * Captures on the mesh's TAPs and bridges: each one a thread reading its AF_PACKET socket into a
 * pcap file. The device is resolved from the mesh (a guest's interface → its TAP, a bridge →
 * itself), so only Dumm's own devices are captured on. Captures into regular files are written
 * down in a {@link CaptureJournal} while they run: when the component stops (Dumm stops, the
 * guests go on) they stop, and when it starts again they are taken up where they were, appended
 * to their files; the frames in between are missing.
 */
@Component(service = CaptureService.class)
public class CaptureManager implements CaptureService {

    private static final System.Logger LOG = System.getLogger(CaptureManager.class.getName());
    private static final int KEEP_ENDED = 50;
    static final String DUMM_STOPPING = "stopped (Dumm stopping)";

    private final Mesh mesh;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<String, Running> captures = new LinkedHashMap<>();
    private final CaptureJournal journal;

    @Activate
    public CaptureManager(@Reference Mesh mesh) {
        this.mesh = mesh;
        this.journal = new CaptureJournal(Path.of(mesh.status().workDir()).resolve("captures.properties"));
        resume();
    }

    @Deactivate
    public void deactivate() throws InterruptedException {
        List<Running> all;
        synchronized (captures) {
            all = new ArrayList<>(captures.values());
        }
        for (Running r : all) {
            r.stop(DUMM_STOPPING);
        }
        for (Running r : all) {
            r.thread.join(2000);
        }
        saveJournal(); // with their counters as they stopped
    }

    /** Takes up the captures the journal lists; one that cannot go on is listed as ended, saying why. */
    private void resume() {
        for (CaptureJournal.Entry e : journal.read()) {
            try {
                ids.accumulateAndGet(Integer.parseInt(e.id().substring(3)), Math::max);
            } catch (RuntimeException ignored) {
                // not one of ours: it keeps its name
            }
            CaptureRequest req = e.request();
            Running r;
            try {
                if (e.deadline() != null && !Instant.now().isBefore(e.deadline())) {
                    throw new DummException(Reason.INVALID_STATE, "its duration ended while Dumm was stopped");
                }
                if (req.count() > 0 && e.packets() >= req.count()) {
                    throw new DummException(Reason.INVALID_STATE, "its count was reached");
                }
                Target t = resolve(req);
                int index = indexOf(t);
                PacketSocket socket = PacketSocket.open(index, compile(req), req.bridge() != null);
                r = new Running(e.id(), t, index, req, socket, e.started(), e.deadline(), true, this::ended);
                r.packets = e.packets();
                r.bytes = e.bytes();
                r.dropped = e.dropped();
                LOG.log(System.Logger.Level.INFO, "capture {0} of {1} resumed into {2} after {3} frames", e.id(), t.target(), req.file(), e.packets());
            } catch (RuntimeException ex) {
                Target t = new Target(req.bridge() != null ? "bridge " + req.bridge() : req.guest() + " " + req.iface(), "");
                r = new Running(e.id(), t, 0, req, null, e.started(), e.deadline(), false, this::ended);
                r.packets = e.packets();
                r.bytes = e.bytes();
                r.dropped = e.dropped();
                r.end = "not resumed after Dumm's restart: " + ex.getMessage();
                LOG.log(System.Logger.Level.WARNING, "capture {0} of {1}: {2}", e.id(), t.target(), r.end);
            }
            synchronized (captures) {
                captures.put(r.id, r);
            }
            if (r.socket != null) {
                r.thread.start();
            }
        }
        saveJournal();
    }

    /** Writes down the captures to take up at the next start: running ones into regular files, and those stopped by a stop of Dumm. */
    private void saveJournal() {
        synchronized (captures) {
            List<CaptureJournal.Entry> entries = new ArrayList<>();
            for (Running r : captures.values()) {
                boolean goesOn = r.stopReason == null ? r.end == null : r.stopReason.equals(DUMM_STOPPING)
                        && (r.end == null || r.end.equals(DUMM_STOPPING));
                if (r.resumable && r.socket != null && goesOn) {
                    entries.add(new CaptureJournal.Entry(r.id, r.req, r.packets, r.bytes, r.dropped, r.started, r.deadline));
                }
            }
            journal.write(entries);
        }
    }

    private void ended(Running r) {
        if (!DUMM_STOPPING.equals(r.stopReason)) {
            saveJournal();
        }
    }

    /** What a request names and the host device behind it. */
    private record Target(String target, String device) {
    }

    private Target resolve(CaptureRequest req) {
        if (req.bridge() != null) {
            if (req.guest() != null || req.iface() != null) {
                throw invalid("capture a guest's interface or a bridge, not both");
            }
            String device = mesh.bridge(req.bridge()).map(b -> b.name())
                    .orElseThrow(() -> new DummException(Reason.NOT_FOUND, "no bridge " + req.bridge()));
            return new Target("bridge " + device, device);
        }
        if (req.guest() == null || req.iface() == null) {
            throw invalid("capture needs GUEST IFACE or --bridge BRIDGE");
        }
        Guest g = mesh.guest(req.guest()).orElseThrow(() -> new DummException(Reason.NOT_FOUND, "no guest " + req.guest()));
        Iface i = g.interfaces().stream().filter(x -> x.name().equals(req.iface())).findFirst()
                .orElseThrow(() -> new DummException(Reason.NOT_FOUND, "guest " + g.name() + " has no interface " + req.iface()));
        return new Target(g.name() + " " + i.name(), i.tap());
    }

    private static int indexOf(Target t) {
        try (RtLink rt = RtLink.open()) {
            return rt.get(t.device()).map(Link::index).orElseThrow(() -> new DummException(Reason.INVALID_STATE,
                    "device " + t.device() + " of " + t.target() + " is not on the host (is the guest running?)"));
        }
    }

    private static BpfProgram compile(CaptureRequest req) {
        return req.filter() == null || req.filter().isBlank() ? null : BpfProgram.compile(req.filter());
    }

    @Override
    public Capture start(CaptureRequest req) {
        Target t = resolve(req);
        if (req.count() < 0) {
            throw invalid("--count must not be negative");
        }
        if (req.duration() != null && (req.duration().isNegative() || req.duration().isZero())) {
            throw invalid("--duration must be positive");
        }
        if (req.file() == null || req.file().isBlank()) {
            throw invalid("capture needs a file (-w FILE)");
        }
        Path file = Path.of(req.file());
        if (!file.isAbsolute()) {
            throw invalid("capture file " + req.file() + " must be an absolute path");
        }
        if (file.getParent() != null && !Files.isDirectory(file.getParent())) {
            throw invalid("capture file " + file + ": no directory " + file.getParent());
        }
        if (Files.isDirectory(file)) {
            throw invalid("capture file " + file + " is a directory");
        }
        // a FIFO or a device (a stream to a reader) cannot be taken up again after a restart
        boolean resumable = !Files.exists(file) || Files.isRegularFile(file);
        BpfProgram filter = compile(req);
        int index = indexOf(t);
        PacketSocket socket = PacketSocket.open(index, filter, req.bridge() != null);
        String id = "cap" + ids.incrementAndGet();
        Instant started = Instant.now();
        Running r = new Running(id, t, index, req, socket, started, CaptureJournal.deadline(started, req.duration()),
                resumable, this::ended);
        r.truncate = true;
        synchronized (captures) {
            captures.put(id, r);
            prune();
        }
        r.thread.start();
        if (resumable) {
            saveJournal();
        }
        return r.info();
    }

    @Override
    public Capture await(String id, Duration timeout) throws InterruptedException {
        Running r = running(id);
        r.thread.join(Math.max(1, timeout.toMillis()));
        return r.info();
    }

    @Override
    public Capture stop(String id) {
        Running r = running(id);
        r.stop("stopped");
        try {
            r.thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return r.info();
    }

    @Override
    public List<Capture> captures() {
        synchronized (captures) {
            return captures.values().stream().map(Running::info).toList();
        }
    }

    private Running running(String id) {
        synchronized (captures) {
            return Optional.ofNullable(captures.get(id)).orElseThrow(() -> new DummException(Reason.NOT_FOUND, "no capture " + id));
        }
    }

    private void prune() {
        List<String> ended = captures.values().stream().filter(r -> !r.thread.isAlive() && r.end != null)
                .map(r -> r.id).toList();
        for (int i = 0; i < ended.size() - KEEP_ENDED; i++) {
            captures.remove(ended.get(i));
        }
    }

    private static DummException invalid(String message) {
        return new DummException(Reason.INVALID_ARGUMENT, message);
    }

    /** One capture: its socket, its file and the thread between them. */
    private static final class Running {
        final String id;
        final String target;
        final String device;
        final int index;
        final CaptureRequest req;
        final PacketSocket socket;
        final Instant started;
        /** When its duration ends, or null. */
        final Instant deadline;
        /** Written into a regular file: taken up again after a restart of Dumm. */
        final boolean resumable;
        final java.util.function.Consumer<Running> onEnd;
        final Thread thread;
        /** A new capture replaces its file; a resumed one appends to it. */
        boolean truncate;
        volatile long packets;
        volatile long bytes;
        volatile long dropped;
        volatile String end;
        volatile String stopReason;

        Running(String id, Target t, int index, CaptureRequest req, PacketSocket socket, Instant started, Instant deadline,
                boolean resumable, java.util.function.Consumer<Running> onEnd) {
            this.id = id;
            this.target = t.target();
            this.device = t.device();
            this.index = index;
            this.req = req;
            this.socket = socket;
            this.started = started;
            this.deadline = deadline;
            this.resumable = resumable;
            this.onEnd = onEnd;
            this.thread = new Thread(this::run, "dumm-capture-" + id + "-" + device);
            this.thread.setDaemon(true);
        }

        /** The file's stream: a new file with its header, or the old one cut after its last whole frame. */
        private PcapWriter open() throws IOException {
            Path file = Path.of(req.file());
            long keep = truncate ? -1 : PcapWriter.appendableLength(file);
            if (keep < 0) {
                // opening a FIFO blocks until its reader comes: in this thread, not the caller's
                return new PcapWriter(new FileOutputStream(req.file()));
            }
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(keep);
            }
            return new PcapWriter(new FileOutputStream(req.file(), true), false);
        }

        Capture info() {
            return new Capture(id, target, device, req.filter(), req.file(), packets, bytes, dropped, started,
                    end == null, end);
        }

        void stop(String why) {
            if (stopReason == null) {
                stopReason = why;
            }
        }

        private void run() {
            long deadline = this.deadline == null ? Long.MAX_VALUE
                    : System.nanoTime() + Math.max(0, Duration.between(Instant.now(), this.deadline).toNanos());
            byte[] frame = new byte[PcapWriter.SNAPLEN];
            jnr.ffi.Pointer buf = org.dumm.nativ.Native.allocate(PcapWriter.SNAPLEN);
            long lastCheck = System.nanoTime();
            try (PcapWriter pcap = open()) {
                while (true) {
                    if (stopReason != null) {
                        end = stopReason;
                        break;
                    }
                    if (req.count() > 0 && packets >= req.count()) {
                        end = "count reached";
                        break;
                    }
                    long now = System.nanoTime();
                    if (now >= deadline) {
                        end = "duration up";
                        break;
                    }
                    int wire;
                    try {
                        wire = socket.receive(buf, PcapWriter.SNAPLEN, 0);
                        if (wire == 0) {
                            pcap.flush(); // idle: what was read reaches the file or pipe now
                            wire = socket.receive(buf, PcapWriter.SNAPLEN, (int) Math.min(200, Math.max(1,
                                    (deadline - now) / 1_000_000)));
                        }
                    } catch (NativeException e) {
                        if (!deviceThere()) {
                            end = "interface gone";
                            break;
                        }
                        wire = 0; // down and up again: the socket carries on
                    }
                    if (wire > 0) {
                        int kept = Math.min(wire, PcapWriter.SNAPLEN);
                        buf.get(0, frame, 0, kept);
                        Instant t = Instant.now();
                        pcap.write(t.getEpochSecond() * 1_000_000 + t.getNano() / 1000, frame, kept, wire);
                        packets++;
                        bytes += wire;
                    }
                    if (now - lastCheck > 1_000_000_000L) {
                        lastCheck = now;
                        dropped += socket.drops();
                        if (!deviceThere()) {
                            end = "interface gone";
                            break;
                        }
                    }
                }
            } catch (IOException e) {
                end = "error writing " + req.file() + ": " + e.getMessage();
            } catch (RuntimeException e) {
                end = "error: " + e.getMessage();
            } finally {
                dropped += socket.drops();
                socket.close();
                if (end == null) {
                    end = "ended";
                }
                onEnd.accept(this);
            }
        }

        /** Whether the device is still there under the index it had (not deleted, nor a new one of that name). */
        private boolean deviceThere() {
            try (RtLink rt = RtLink.open()) {
                return rt.get(index).map(l -> l.name().equals(device)).orElse(false);
            } catch (RuntimeException e) {
                return true;
            }
        }
    }
}
