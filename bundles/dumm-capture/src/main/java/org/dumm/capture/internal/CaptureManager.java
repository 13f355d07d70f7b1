package org.dumm.capture.internal;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
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
 * itself), so only Dumm's own devices are captured on. Captures stop with the component.
 */
@Component(service = CaptureService.class)
public class CaptureManager implements CaptureService {

    private static final int KEEP_ENDED = 50;

    private final Mesh mesh;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<String, Running> captures = new LinkedHashMap<>();

    @Activate
    public CaptureManager(@Reference Mesh mesh) {
        this.mesh = mesh;
    }

    @Deactivate
    public void deactivate() throws InterruptedException {
        List<Running> all;
        synchronized (captures) {
            all = new ArrayList<>(captures.values());
        }
        for (Running r : all) {
            r.stop("stopped (Dumm stopping)");
        }
        for (Running r : all) {
            r.thread.join(2000);
        }
    }

    @Override
    public Capture start(CaptureRequest req) {
        String target;
        String device;
        if (req.bridge() != null) {
            if (req.guest() != null || req.iface() != null) {
                throw invalid("capture a guest's interface or a bridge, not both");
            }
            device = mesh.bridge(req.bridge()).map(b -> b.name())
                    .orElseThrow(() -> new DummException(Reason.NOT_FOUND, "no bridge " + req.bridge()));
            target = "bridge " + device;
        } else {
            if (req.guest() == null || req.iface() == null) {
                throw invalid("capture needs GUEST IFACE or --bridge BRIDGE");
            }
            Guest g = mesh.guest(req.guest()).orElseThrow(() -> new DummException(Reason.NOT_FOUND, "no guest " + req.guest()));
            Iface i = g.interfaces().stream().filter(x -> x.name().equals(req.iface())).findFirst()
                    .orElseThrow(() -> new DummException(Reason.NOT_FOUND, "guest " + g.name() + " has no interface " + req.iface()));
            device = i.tap();
            target = g.name() + " " + i.name();
        }
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
        BpfProgram filter = req.filter() == null || req.filter().isBlank() ? null : BpfProgram.compile(req.filter());
        int index;
        try (RtLink rt = RtLink.open()) {
            index = rt.get(device).map(Link::index).orElseThrow(() -> new DummException(Reason.INVALID_STATE,
                    "device " + device + " of " + target + " is not on the host (is the guest running?)"));
        }
        PacketSocket socket = PacketSocket.open(index, filter, req.bridge() != null);
        String id = "cap" + ids.incrementAndGet();
        Running r = new Running(id, target, device, index, req, socket);
        synchronized (captures) {
            captures.put(id, r);
            prune();
        }
        r.thread.start();
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
        final Instant started = Instant.now();
        final Thread thread;
        volatile long packets;
        volatile long bytes;
        volatile long dropped;
        volatile String end;
        volatile String stopReason;

        Running(String id, String target, String device, int index, CaptureRequest req, PacketSocket socket) {
            this.id = id;
            this.target = target;
            this.device = device;
            this.index = index;
            this.req = req;
            this.socket = socket;
            this.thread = new Thread(this::run, "dumm-capture-" + id + "-" + device);
            this.thread.setDaemon(true);
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
            long deadline = req.duration() == null ? Long.MAX_VALUE : System.nanoTime() + req.duration().toNanos();
            byte[] frame = new byte[PcapWriter.SNAPLEN];
            jnr.ffi.Pointer buf = org.dumm.nativ.Native.allocate(PcapWriter.SNAPLEN);
            long lastCheck = System.nanoTime();
            // opening a FIFO blocks until its reader comes: in this thread, not the caller's
            try (OutputStream file = new FileOutputStream(req.file()); PcapWriter pcap = new PcapWriter(file)) {
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
