package org.dumm.test.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import org.dumm.api.ExecResult;

/**
 * Runs a {@code checks.yaml} on the devices' guests. A round runs every check still failing;
 * rounds repeat, a second apart, until all pass or {@code convergence_time} is up, so a lab whose
 * routing daemons converge in two seconds is not made to wait the full time. Each check's last
 * outcome is logged once, with what the device showed when it failed.
 */
final class ChecksRun {

    /** A command on a device (the caller maps it to its guest); not echoed. */
    interface DeviceExec extends BiFunction<String, String, ExecResult> {
    }

    /** A failed check: where (file:line and what it checks) and the device's output. */
    record Failure(String where, String output) {
    }

    private static final Set<String> ROUTE_TYPES = Set.of("unicast", "local", "broadcast", "multicast", "throw",
            "unreachable", "prohibit", "blackhole", "nat", "anycast");

    private final Checks checks;
    private final DeviceExec exec;
    private final Consumer<String> log;
    private final Map<String, String> firstAddress = new HashMap<>();

    ChecksRun(Checks checks, DeviceExec exec, Consumer<String> log) {
        this.checks = checks;
        this.exec = exec;
        this.log = log;
    }

    /** Runs the checks; the failures in file order (empty: all passed). */
    List<Failure> run() throws InterruptedException {
        long deadline = System.nanoTime() + checks.convergenceSeconds() * 1_000_000_000L;
        Map<Check, Failure> failing = new LinkedHashMap<>();
        List<Check> todo = checks.checks();
        int round = 0;
        while (true) {
            round++;
            failing.clear();
            for (Check c : todo) {
                String problem = run(c);
                if (problem != null) {
                    failing.put(c, new Failure(where(c), problem));
                }
            }
            if (failing.isEmpty() || System.nanoTime() >= deadline) {
                break;
            }
            todo = new ArrayList<>(failing.keySet());
            Thread.sleep(1000);
        }
        String file = checks.file().getFileName().toString();
        for (Check c : checks.checks()) {
            Failure f = failing.get(c);
            log.accept(file + ":" + c.line() + ": " + c.device() + ": " + describe(c) + (f == null ? "  OK" : "  FAILED"));
            if (f != null) {
                f.output().lines().forEach(l -> log.accept("  " + l));
            }
        }
        if (round > 1) {
            log.accept(file + ": " + round + " rounds" + (failing.isEmpty() ? "" : " (convergence_time "
                    + checks.convergenceSeconds() + " s is up)"));
        }
        return List.copyOf(failing.values());
    }

    private String where(Check c) {
        return checks.file().getFileName() + ":" + c.line() + ": " + c.device() + ": " + describe(c);
    }

    static String describe(Check c) {
        if (c instanceof Check.Address a) {
            return "address " + a.cidr() + " on " + a.iface();
        } else if (c instanceof Check.Route r) {
            return (r.absent() ? "no route " : "route ") + r.destination() + (r.via() == null ? "" : " via " + r.via())
                    + (r.dev() == null ? "" : " dev " + r.dev());
        } else if (c instanceof Check.Daemon d) {
            return (d.absent() ? "no process " : "process ") + d.name();
        } else if (c instanceof Check.Reach r) {
            return (r.absent() ? "does not reach " : "reaches ") + r.target();
        }
        Check.Command k = (Check.Command) c;
        return "command '" + k.command() + "'" + (k.exitCode() == null ? "" : " exits " + k.exitCode())
                + (k.expectedOutput() == null ? "" : ", prints '" + k.expectedOutput() + "'")
                + (k.regex() == null ? "" : ", matches /" + k.regex().pattern() + "/");
    }

    /** Null when the check passes, else what the device showed. */
    private String run(Check c) {
        if (c instanceof Check.Address a) {
            return address(a);
        } else if (c instanceof Check.Route r) {
            return route(r);
        } else if (c instanceof Check.Daemon d) {
            return daemon(d);
        } else if (c instanceof Check.Reach r) {
            return reach(r);
        }
        return command((Check.Command) c);
    }

    private String address(Check.Address a) {
        ExecResult r = exec.apply(a.device(), "ip -o addr show dev " + ScenarioRun.quote(a.iface()));
        if (!r.succeeded()) {
            return r.stdoutText() + r.stderrText();
        }
        return addresses(r.stdoutText()).contains(a.cidr()) ? null : r.stdoutText();
    }

    /** The ADDRESS/LEN of {@code ip -o addr} lines, canonical. */
    static Set<String> addresses(String ipOutput) {
        Set<String> out = new java.util.HashSet<>();
        for (String line : ipOutput.lines().toList()) {
            String[] w = line.trim().split("\\s+");
            for (int i = 0; i + 1 < w.length; i++) {
                if (w[i].equals("inet") || w[i].equals("inet6")) {
                    String cidr = IpText.canonicalCidr(w[i + 1]);
                    if (cidr != null) {
                        out.add(cidr);
                    }
                }
            }
        }
        return out;
    }

    private String route(Check.Route want) {
        ExecResult r = exec.apply(want.device(), "ip route show table main; ip -6 route show table main");
        String text = r.stdoutText();
        boolean found = routes(text).stream().anyMatch(have -> have.destination().equals(want.destination())
                && (want.via() == null || have.vias().contains(want.via()))
                && (want.dev() == null || have.devs().contains(want.dev())));
        return found != want.absent() ? null : text + r.stderrText();
    }

    /** A route as {@code ip route} prints it: destination, its gateways and devices (more for multipath). */
    record Route(String destination, Set<String> vias, Set<String> devs) {
    }

    static List<Route> routes(String ipOutput) {
        List<Route> out = new ArrayList<>();
        for (String line : ipOutput.lines().toList()) {
            if (line.isBlank()) {
                continue;
            }
            String[] w = line.trim().split("\\s+");
            Set<String> vias = new java.util.HashSet<>();
            Set<String> devs = new java.util.HashSet<>();
            for (int i = 0; i + 1 < w.length; i++) {
                if (w[i].equals("via")) {
                    // "via inet6 fe80::1" when the gateway's family differs
                    String g = w[i + 1].startsWith("inet") && i + 2 < w.length ? w[i + 2] : w[i + 1];
                    String canonical = IpText.canonical(g);
                    vias.add(canonical == null ? g : canonical);
                } else if (w[i].equals("dev")) {
                    devs.add(w[i + 1]);
                }
            }
            if (Character.isWhitespace(line.charAt(0)) && w[0].equals("nexthop") && !out.isEmpty()) {
                Route last = out.get(out.size() - 1);
                last.vias().addAll(vias);
                last.devs().addAll(devs);
                continue;
            }
            String dest = ROUTE_TYPES.contains(w[0]) && w.length > 1 ? w[1] : w[0];
            if (!dest.equals("default")) {
                String c = IpText.canonicalCidr(dest);
                dest = c == null ? dest : c;
            }
            out.add(new Route(dest, vias, devs));
        }
        return out;
    }

    private String daemon(Check.Daemon d) {
        // comm is the first 15 bytes of the executable's name
        ExecResult r = exec.apply(d.device(), "cat /proc/[0-9]*/comm 2>/dev/null");
        Set<String> names = r.stdoutText().lines().map(String::trim).collect(Collectors.toSet());
        String comm = d.name().length() > 15 ? d.name().substring(0, 15) : d.name();
        boolean runs = names.contains(comm);
        return runs != d.absent() ? null : (runs ? comm + " runs" : "no process " + comm + " among: "
                + names.stream().sorted().collect(Collectors.joining(" ")));
    }

    private String reach(Check.Reach c) {
        String target = c.target();
        if (IpText.canonical(target) == null) {
            target = firstAddress.computeIfAbsent(target, this::firstAddressOf);
            if (target.isEmpty()) {
                return "device " + c.target() + " has no global address to ping";
            }
        }
        ExecResult r = exec.apply(c.device(), "ping -c 2 -W 2 -q " + target);
        boolean reached = r.exitStatus() == 0;
        return reached != c.absent() ? null : "ping " + target + " (exit " + r.exitStatus() + ")\n" + r.stdoutText()
                + r.stderrText();
    }

    /** A device named as a ping target: its first global IPv4 address, else its first global IPv6 one. */
    private String firstAddressOf(String device) {
        ExecResult r = exec.apply(device, "ip -o addr show scope global");
        String v6 = "";
        for (String line : r.stdoutText().lines().toList()) {
            String[] w = line.trim().split("\\s+");
            for (int i = 0; i + 1 < w.length; i++) {
                if (w[i].equals("inet")) {
                    return w[i + 1].replaceFirst("/.*", "");
                }
                if (w[i].equals("inet6") && v6.isEmpty()) {
                    v6 = w[i + 1].replaceFirst("/.*", "");
                }
            }
        }
        return v6;
    }

    private String command(Check.Command k) {
        ExecResult r = exec.apply(k.device(), k.command());
        String out = r.stdoutText();
        boolean ok = !r.timedOut()
                && (k.exitCode() == null || r.exitStatus() == k.exitCode())
                && (k.expectedOutput() == null || out.strip().equals(k.expectedOutput().strip()))
                && (k.regex() == null || k.regex().matcher(out).find());
        return ok ? null : "exit " + r.exitStatus() + (r.timedOut() ? " (timed out)" : "") + "\n" + out + r.stderrText();
    }
}
