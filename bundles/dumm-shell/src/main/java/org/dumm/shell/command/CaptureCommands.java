package org.dumm.shell.command;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.apache.karaf.shell.support.table.ShellTable;
import org.dumm.api.Capture;
import org.dumm.api.CaptureRequest;
import org.dumm.api.CaptureService;
import org.dumm.api.DummException;

/** The capture commands: thin, on the CaptureService of bundle dumm-capture. */
public final class CaptureCommands {

    private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m|h)?");

    private CaptureCommands() {
    }

    /** {@code 500ms}, {@code 10s} (also plain {@code 10}), {@code 2m}, {@code 1h}. */
    static Duration duration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT, "bad duration '" + text + "' (e.g. 500ms, 10s, 2m)");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
        };
    }

    static String line(Capture c) {
        return c.id() + " " + c.target() + " -> " + c.file() + ": " + c.packets() + " packets, " + c.bytes() + " bytes"
                + (c.dropped() > 0 ? ", " + c.dropped() + " dropped" : "")
                + (c.running() ? " (running)" : " (" + c.end() + ")");
    }

    @Service
    @Command(scope = "dumm", name = "capture", description = "Captures a guest interface or a bridge into a pcap file (tcpdump and Wireshark read it)")
    public static class CaptureCommand implements Action {
        @Reference
        CaptureService captures;

        @Argument(index = 0, name = "args", description = "GUEST IFACE [FILTER...], or with --bridge: [FILTER...]; options may follow",
                multiValued = true)
        @Completion(GuestNameCompleter.class)
        List<String> words;

        @Option(name = "--bridge", description = "capture the whole segment of this bridge")
        @Completion(BridgeNameCompleter.class)
        String bridge;

        @Option(name = "-w", description = "pcap file to write (a FIFO works)")
        @Completion(FileCompleter.class)
        String file;

        @Option(name = "--filter", description = "tcpdump filter expression, e.g. icmp or 'host 10.0.0.1' (as trailing words)")
        String filter;

        @Option(name = "--count", description = "stop after N frames")
        int count;

        @Option(name = "--duration", description = "stop after this long, e.g. 10s, 500ms, 2m")
        String duration;

        @Option(name = "--background", description = "return at once; see capture-list, stop with capture-stop")
        boolean background;

        @Override
        public Object execute() throws Exception {
            List<String> rest = TrailingOptions.apply(this, words);
            String guest = null;
            String iface = null;
            if (bridge == null) {
                if (rest.size() < 2) {
                    throw new DummException(DummException.Reason.INVALID_ARGUMENT, "capture needs GUEST IFACE or --bridge BRIDGE");
                }
                guest = rest.get(0);
                iface = rest.get(1);
                rest = rest.subList(2, rest.size());
            }
            String expression = filter;
            if (!rest.isEmpty()) {
                String words = String.join(" ", rest);
                expression = expression == null ? words : "(" + expression + ") and (" + words + ")";
            }
            if (file == null) {
                throw new DummException(DummException.Reason.INVALID_ARGUMENT, "capture needs -w FILE");
            }
            if (file.equals("-")) {
                throw new DummException(DummException.Reason.INVALID_ARGUMENT,
                        "-w - streams only through ./dumm capture (the console is no binary channel)");
            }
            CaptureRequest req = new CaptureRequest(guest, iface, bridge, expression,
                    Path.of(file).toAbsolutePath().toString(), count, duration == null ? null : duration(duration));
            Capture c = captures.start(req);
            if (background) {
                System.out.println(c.id() + " capturing " + c.target() + " (" + c.device() + ") into " + c.file());
                return null;
            }
            try {
                while (c.running()) {
                    c = captures.await(c.id(), Duration.ofMillis(500));
                }
            } catch (InterruptedException e) { // Ctrl-C
                c = captures.stop(c.id());
            }
            System.out.println(line(c));
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "capture-list", description = "Lists the captures, running and ended")
    public static class CaptureListCommand implements Action {
        @Reference
        CaptureService captures;

        @Override
        public Object execute() {
            ShellTable t = new ShellTable();
            t.column("Id");
            t.column("Target");
            t.column("Device");
            t.column("Filter");
            t.column("File");
            t.column("Packets");
            t.column("Dropped");
            t.column("State");
            for (Capture c : captures.captures()) {
                t.addRow().addContent(c.id(), c.target(), c.device(), c.filter() == null ? "-" : c.filter(), c.file(),
                        c.packets(), c.dropped(), c.running() ? "running" : c.end());
            }
            t.print(System.out);
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "capture-stop", description = "Stops a capture")
    public static class CaptureStopCommand implements Action {
        @Reference
        CaptureService captures;

        @Argument(index = 0, name = "id", required = true, description = "the capture's id (capture-list)")
        String id;

        @Override
        public Object execute() {
            System.out.println(line(captures.stop(id)));
            return null;
        }
    }
}
