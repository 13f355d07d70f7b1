package org.dumm.test.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;

import org.dumm.api.DummException;
import org.dumm.api.ExecResult;
import org.dumm.api.ExecSession;
import org.dumm.api.Guest;
import org.dumm.api.GuestState;
import org.dumm.api.Mesh;
import org.dumm.test.RunOptions;
import org.dumm.test.ScenarioResult;
import org.dumm.test.ScenarioResult.Verdict;

/**
 * One scenario on the mesh: its hosts/ files are written into the guests with a template of the
 * run's own loaded (so they, and everything the scenario's commands write, land in the template
 * and are gone once it is unloaded and deleted), captures started, pretest, evaltest, posttest,
 * captures stopped, the template unloaded and deleted, then judged.
 */
final class ScenarioRun {

    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);
    private static final String CAPTURE = "/tmp/dumm-tcpdump";

    private final Mesh mesh;
    private final RunOptions options;
    private final Consumer<String> progress;
    private final Function<Path, Map<String, String>> labGuests;
    private Checks checks;
    private final List<String> log = new ArrayList<>();
    private final Map<String, String> captured = new LinkedHashMap<>();
    /**
     * A shell session per guest for the scenario's lines: they come back to back, and a session
     * runs each without a new process in the guest (see {@link ExecSession}); closed at the end.
     */
    private final Map<String, ExecSession> sessions = new LinkedHashMap<>();
    private String failure;
    private String description = "";
    private String diagram;
    private String detail = "";

    /** {@code labGuests}: for a lab directory, its devices' guests (empty when it is no lab Dumm knows). */
    ScenarioRun(Mesh mesh, RunOptions options, Consumer<String> progress, Function<Path, Map<String, String>> labGuests) {
        this.mesh = mesh;
        this.options = options;
        this.progress = progress;
        this.labGuests = labGuests;
    }

    ScenarioResult run(ScenarioParser.Found found) {
        try {
            return runScenario(found);
        } finally {
            sessions.values().forEach(ExecSession::close);
            sessions.clear();
        }
    }

    private ScenarioResult runScenario(ScenarioParser.Found found) {
        long t0 = System.nanoTime();
        String name = found.dir().getFileName().toString();
        try {
            if (!Files.isRegularFile(found.dir().resolve(ScenarioParser.CONF))) {
                checksAlone(found.dir());
                return result(found, name, failure == null ? Verdict.PASSED : Verdict.FAILED, t0);
            }
            Scenario s = ScenarioParser.read(found);
            description = s.description();
            String image = s.conf().get("DIAGRAM");
            if (!image.isBlank() && !image.contains("/") && Files.isRegularFile(s.dir().resolve(image))) {
                diagram = s.dir().resolve(image).toString();
            }
            s.conf().warnings().forEach(w -> log("warning: " + w));
            if (Files.isRegularFile(s.dir().resolve(Checks.FILE))) {
                checks = readChecks(s.dir());
                for (String d : checks.devices()) {
                    if (!s.conf().list("VIRTHOSTS").contains(d)) {
                        throw new ScenarioFormatException(checks.file(), 0, "device " + d + " is not in VIRTHOSTS");
                    }
                }
            }
            Placeholders ph = Placeholders.of(mesh.guests(), options.guestPrefix()).withFiles(s.dir());
            checkGuests(s);
            String template = templateName();
            if (mesh.loadedTemplate().isPresent()) {
                throw new IllegalStateException("template " + mesh.loadedTemplate().get().name()
                        + " is loaded; a scenario needs the guests without one (template-unload)");
            }
            if (mesh.templates().stream().anyMatch(t -> t.name().equals(template))) {
                mesh.deleteTemplate(template); // left by a run that was killed
            }
            mesh.createTemplate(template);
            try {
                mesh.loadTemplate(template);
                try {
                    body(s, ph);
                } finally {
                    mesh.unloadTemplate();
                }
            } finally {
                mesh.deleteTemplate(template);
            }
            return result(found, name, failure == null ? Verdict.PASSED : Verdict.FAILED, t0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure = "interrupted";
            return result(found, name, Verdict.ERROR, t0);
        } catch (ScenarioFormatException | IllegalArgumentException | IllegalStateException | DummException e) {
            if (failure == null) {
                failure = e.getMessage();
            }
            log("error: " + e.getMessage());
            return result(found, name, Verdict.ERROR, t0);
        }
    }

    private Checks readChecks(Path dir) {
        List<String> warnings = new ArrayList<>();
        Checks c = ChecksParser.read(dir.resolve(Checks.FILE), warnings);
        warnings.forEach(w -> log("warning: " + w));
        return c;
    }

    /**
     * A directory with checks and no test.conf: the checks on running guests as they are (no
     * template). A lab's devices are its guests; other names are guests with the run's prefix.
     */
    private void checksAlone(Path dir) throws InterruptedException {
        checks = readChecks(dir);
        Map<String, String> lab = labGuests.apply(dir);
        Function<String, String> guestOf = d -> lab.getOrDefault(d, options.guestPrefix() + d);
        if (!lab.isEmpty()) {
            log("lab: devices " + String.join(", ", lab.keySet()));
        }
        for (String d : checks.devices()) {
            String g = guestOf.apply(d);
            Guest guest = mesh.guest(g).orElseThrow(() -> new IllegalStateException(checks.file().getFileName()
                    + ": device " + d + ": no guest " + g));
            if (guest.state() != GuestState.RUNNING) {
                throw new IllegalStateException(checks.file().getFileName() + ": device " + d + ": guest " + g + " is "
                        + guest.state() + ", not running");
            }
        }
        runChecks(guestOf);
    }

    private void runChecks(Function<String, String> guestOf) throws InterruptedException {
        log("[checks]");
        ChecksRun.DeviceExec exec = (device, command) -> inSession(guestOf.apply(device), command);
        for (ChecksRun.Failure f : new ChecksRun(checks, exec, this::log).run()) {
            fail(f.where(), f.output());
        }
    }

    private ScenarioResult result(ScenarioParser.Found found, String name, Verdict v, long t0) {
        return new ScenarioResult(found.category(), name, v, v == Verdict.PASSED ? null : failure, detail,
                (System.nanoTime() - t0) / 1_000_000, log, description, diagram);
    }

    private String templateName() {
        return (options.guestPrefix().isEmpty() ? "" : options.guestPrefix()) + "scenario";
    }

    private void checkGuests(Scenario s) {
        for (String host : s.conf().list("VIRTHOSTS")) {
            String g = options.guestPrefix() + host;
            Guest guest = mesh.guest(g).orElseThrow(() -> new IllegalStateException("VIRTHOSTS: no guest " + g));
            if (guest.state() != GuestState.RUNNING) {
                throw new IllegalStateException("VIRTHOSTS: guest " + g + " is " + guest.state() + ", not running");
            }
        }
    }

    private void body(Scenario s, Placeholders ph) throws InterruptedException {
        for (Map.Entry<String, List<String>> e : s.hostFiles().entrySet()) {
            for (String rel : e.getValue()) {
                writeFile(e.getKey(), s.dir().resolve("hosts").resolve(e.getKey()).resolve(rel), rel, ph);
            }
        }
        Map<String, String> captures = s.captures();
        try {
            captures.forEach(this::startCapture);
            log("[pretest]");
            for (DatLine l : s.pretest()) {
                exec(l.host(), subst(ph, l, l.command()));
            }
            log("[test]");
            for (DatLine l : s.evaltest()) {
                check(l, ph);
            }
            if (checks != null) {
                runChecks(host -> options.guestPrefix() + host);
            }
            recordState(s);
        } finally {
            log("[posttest]");
            for (DatLine l : s.posttest()) {
                exec(l.host(), subst(ph, l, l.command()));
            }
            for (String host : captures.keySet()) {
                if (!captured.containsKey(host)) {
                    stopCapture(host);
                }
            }
        }
        if (options.ipsecLeftovers()) {
            for (String host : s.conf().list("IPSECHOSTS")) {
                String left = exec(host, "ip xfrm state; ip xfrm policy").stdoutText();
                if (!left.isBlank()) {
                    fail("test.conf: IPsec state or policy left on " + host + " after posttest", left);
                }
            }
        }
    }

    /**
     * For the report, as strongSwan's runner keeps them: the IPsec hosts' state while the scenario
     * is up (SAs, XFRM state and policies with counters, firewall rules). Not judged.
     */
    private void recordState(Scenario s) {
        List<String> hosts = s.conf().list("IPSECHOSTS");
        if (hosts.isEmpty()) {
            return;
        }
        log("[state]");
        boolean swanctl = s.conf().get("SWANCTL").equals("1");
        for (String host : hosts) {
            for (String command : swanctl ? List.of("swanctl --list-conns", "swanctl --list-sas") : List.of("ipsec statusall")) {
                exec(host, command);
            }
            exec(host, "ip -s xfrm state; ip -s xfrm policy");
            exec(host, "iptables-save; ip6tables-save");
        }
    }

    private static String subst(Placeholders ph, DatLine l, String text) {
        try {
            return ph.apply(text);
        } catch (IllegalArgumentException e) {
            throw new ScenarioFormatException(l.file(), l.line(), e.getMessage());
        }
    }

    private void check(DatLine l, Placeholders ph) {
        String output;
        if (l.command().equals("tcpdump")) {
            if (!captured.containsKey(l.host()) && !hasCapture(l.host())) {
                fail(l.where() + " (no capture on " + l.host() + ": not in TCPDUMPHOSTS)", "");
                return;
            }
            output = captured.containsKey(l.host()) ? captured.get(l.host()) : stopCapture(l.host());
        } else {
            output = exec(l.host(), subst(ph, l, l.command())).stdoutText();
        }
        String patternText = subst(ph, l, l.pattern());
        Pattern p = BasicRegex.compile(patternText);
        long n = output.lines().filter(line -> BasicRegex.matches(p, line)).count();
        boolean ok = l.yes() ? n > 0 : l.no() ? n == 0 : n == l.count();
        String echo = l.host() + "# " + l.command() + " | grep '" + patternText + "'  [" + l.hit() + "]";
        log(echo + (ok ? "  OK" : "  FAILED (" + n + " matching lines)"));
        if (!ok) {
            fail(l.where(), output);
        }
    }

    private final Set<String> capturing = new java.util.HashSet<>();

    private boolean hasCapture(String host) {
        return capturing.contains(host);
    }

    private void startCapture(String host, String iface) {
        exec(host, "rm -f " + CAPTURE + ".log; (tcpdump -n -l -i " + quote(iface) + " not port domain > " + CAPTURE
                + ".log 2>&1 < /dev/null & echo $! > " + CAPTURE + ".pid);"
                + " for i in $(seq 100); do grep -q 'listening on' " + CAPTURE + ".log && break; sleep 0.1; done");
        capturing.add(host);
    }

    /** Stops the host's capture (SIGINT, so tcpdump flushes) and returns what it captured. */
    private String stopCapture(String host) {
        String out = exec(host, "p=$(cat " + CAPTURE + ".pid); kill -INT $p 2>/dev/null;"
                + " for i in $(seq 50); do kill -0 $p 2>/dev/null || break; sleep 0.1; done; cat " + CAPTURE + ".log").stdoutText();
        captured.put(host, out);
        return out;
    }

    private void writeFile(String host, Path file, String rel, Placeholders ph) {
        byte[] content;
        String mode;
        try {
            content = Files.readAllBytes(file);
            mode = mode(Files.getPosixFilePermissions(file));
        } catch (IOException e) {
            throw new ScenarioFormatException(file, 0, "cannot read: " + e.getMessage());
        }
        String text = new String(content, StandardCharsets.ISO_8859_1);
        try {
            text = ph.apply(text);
        } catch (IllegalArgumentException e) {
            throw new ScenarioFormatException(file, 0, e.getMessage());
        }
        String target = "/" + rel;
        List<String> steps = GuestFileWrite.commands(target, text.getBytes(StandardCharsets.ISO_8859_1), mode);
        for (String step : steps) {
            ExecResult r = exec(host, step, false);
            if (!r.succeeded()) {
                throw new IllegalStateException("writing " + target + " into " + host + " failed: " + r.stderrText());
            }
        }
        log(host + ": " + target + " from the scenario");
    }

    private static String mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return Integer.toOctalString(m);
    }

    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private ExecResult exec(String host, String command) {
        return exec(host, command, true);
    }

    private ExecResult exec(String host, String command, boolean echo) {
        ExecResult r = inSession(options.guestPrefix() + host, command);
        if (echo) {
            log(host + "# " + command);
            r.stdoutText().lines().forEach(l -> log("  " + l));
            r.stderrText().lines().forEach(l -> log("  " + l));
            log("  (exit " + r.exitStatus() + (r.timedOut() ? ", timed out" : "") + ", " + r.duration().toMillis() + " ms)");
        }
        return r;
    }

    private ExecResult inSession(String guest, String command) {
        ExecSession session = sessions.get(guest);
        if (session == null) {
            session = mesh.openSession(guest);
            sessions.put(guest, session);
        }
        return session.exec(command, COMMAND_TIMEOUT);
    }

    private void fail(String where, String output) {
        if (failure == null) {
            failure = where;
            detail = output;
        }
    }

    private void log(String line) {
        log.add(line);
        if (options.verbose()) {
            progress.accept(line);
        }
    }
}
