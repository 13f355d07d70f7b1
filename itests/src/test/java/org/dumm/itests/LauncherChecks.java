package org.dumm.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The launcher's checks of {@link VpnTestbedIT}, on its running testbed (alice, moon, …). */
final class LauncherChecks {

    private LauncherChecks() {
    }

    /**
     * {@code ./dumm client GUEST CMD ARG…} quotes each argument for Karaf's parser (karaf_words in
     * the launcher) and {@code dumm:exec} passes several as an argument vector: whitespace,
     * semicolons and quotes inside one argument arrive whole in the guest.
     */
    static void argumentsStayWhole(KarafInstance karaf) throws Exception {
        Path launcher = Path.of("..", "dumm").toAbsolutePath().normalize();
        assertTrue(launcher + " missing", Files.isExecutable(launcher));
        String[][] cases = {
            {"a\nb\n", "sh", "-c", "echo a; echo b"},
            {"a  b|\n", "printf", "%s|\\n", "a  b"},
            {"it's $HOME\n", "echo", "it's $HOME"},
        };
        for (String[] c : cases) {
            List<String> argv = new ArrayList<>(List.of("bash", "-c", "f=$1; shift; source \"$f\" && karaf_words \"$@\"", "bash", launcher.toString(),
                    "dumm:exec", "alice"));
            argv.addAll(List.of(c).subList(1, c.length));
            Host.Result words = Host.run(argv.toArray(String[]::new));
            assertEquals(words.out(), 0, words.status());
            assertEquals("console line: " + words.out(), c[0], karaf.ok(words.out()).replace("\r", ""));
        }
    }

    /**
     * {@code ./dumm capture} streams a capture binary-clean into tcpdump: a ping from alice to
     * moon on alice's eth0, filtered to ICMP, four frames, read by {@code tcpdump -r -}; the
     * capture then shows as ended in capture-list. The launcher finds this instance by its
     * DUMM_HOME, with the test's key as its client key.
     */
    static void captureStreamsIntoTcpdump(KarafInstance karaf) throws Exception {
        Path launcher = Path.of("..", "dumm").toAbsolutePath().normalize();
        Path etc = karaf.home().resolve("etc");
        Path clientKey = etc.resolve("dumm-client.key");
        if (!Files.exists(clientKey)) {
            Files.copy(etc.resolve("dumm-itest.key"), clientKey);
            Files.setPosixFilePermissions(clientKey, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        }
        Thread ping = new Thread(() -> {
            Host.sleep(2000); // the capture is open by then
            karaf.run("dumm:exec alice 'ping -c 3 -W 1 10.1.0.1'", Duration.ofSeconds(60));
        });
        ping.start();
        Host.Result r = Host.run("bash", "-c", "DUMM_HOME=\"$1\" \"$2\" capture alice eth0 icmp --count 4 | tcpdump -n -r -",
                "bash", karaf.home().getParent().toAbsolutePath().toString(), launcher.toString());
        ping.join();
        assertEquals(r.out(), 0, r.status());
        List<String> frames = r.out().lines().filter(l -> l.contains(": ICMP echo")).toList();
        assertEquals(r.out(), 4, frames.size());
        assertEquals(r.out(), 2, frames.stream().filter(l -> l.contains("10.1.0.10 > 10.1.0.1: ICMP echo request")).count());
        assertEquals(r.out(), 2, frames.stream().filter(l -> l.contains("10.1.0.1 > 10.1.0.10: ICMP echo reply")).count());
        String list = karaf.ok("dumm:capture-list");
        assertTrue(list, list.lines().anyMatch(l -> l.contains("alice eth0") && l.contains("count reached")));
    }

    /**
     * A Dumm YAML lab through the distribution's console (feature dumm-lab with its snakeyaml):
     * a bad file is refused with its line and creates nothing; the lab comes up with the
     * addresses from the file, exports with them, and lab-destroy leaves no guest behind.
     */
    static void yamlLabThroughTheConsole(KarafInstance karaf) throws Exception {
        Path dir = Files.createDirectories(karaf.home().resolve("labs-src"));
        Path bad = dir.resolve("dmiybad.yaml");
        Files.writeString(bad, "nodes:\n  a:\n    memory: 64m\n");
        String error = karaf.failing("dumm:lab-apply " + bad);
        assertTrue(error, error.contains("dmiybad.yaml line 3: nodes.a.memory: unknown key"));
        Path file = dir.resolve("dmiy.yaml");
        Files.writeString(file, """
                prefix: dmiy
                nodes: {a: , b: }
                links:
                  - - {node: a, iface: eth0, ipv4: 10.239.20.1/24}
                    - {node: b, iface: eth0, ipv4: 10.239.20.2/24}
                """);
        String applied = karaf.ok("dumm:lab-apply " + file, Duration.ofSeconds(180));
        assertTrue(applied, applied.contains("lab dmiy created"));
        String ping = karaf.ok("dumm:exec --lab dmiy a ping -c 1 -W 2 10.239.20.2");
        assertTrue(ping, ping.contains("1 packets received"));
        Path export = dir.resolve("dmiy-export.yaml");
        karaf.ok("dumm:lab-export dmiy " + export);
        String yaml = Files.readString(export);
        assertTrue(yaml, yaml.contains("ipv4: [10.239.20.2/24]") && yaml.contains("prefix: dmiy") == false);
        karaf.ok("dumm:lab-destroy dmiy", Duration.ofSeconds(120));
        String guests = karaf.ok("dumm:guest-list");
        assertTrue(guests, !guests.contains("dmiy-a") && !guests.contains("dmiy-b"));
    }

    /**
     * The classic testbed with moon and sun as UML guests and six namespace guests, from
     * examples/testbed-mixed.yaml, after a hot install of the netns backend into the running
     * distribution: alice reaches bob through both routers (ttl 62); destroyed and the backend
     * uninstalled again, so that the later steps see the distribution as it was.
     */
    static void mixedTestbedLab(KarafInstance karaf) throws Exception {
        Path lab = Path.of("..", "examples", "testbed-mixed.yaml").toAbsolutePath().normalize();
        karaf.ok("feature:install dumm-backend-netns", Duration.ofSeconds(180));
        try {
            String applied = karaf.ok("dumm:lab-apply --name mx " + lab, Duration.ofSeconds(240));
            assertTrue(applied, applied.contains("lab mx created"));
            String info = karaf.ok("dumm:lab-info mx");
            assertEquals(info, 8, info.lines().filter(l -> l.contains("| running")).count());
            String ping = karaf.ok("dumm:exec --lab mx alice ping -c 2 -W 2 10.2.0.10");
            assertTrue(ping, ping.contains("ttl=62"));
            String backends = karaf.ok("dumm:guest-info --lab mx bob") + karaf.ok("dumm:guest-info --lab mx moon");
            assertTrue(backends, backends.contains("Backend  : netns") && backends.contains("Backend  : uml"));
        } finally {
            karaf.run("dumm:lab-destroy mx", Duration.ofSeconds(120));
            karaf.run("feature:uninstall dumm-backend-netns", Duration.ofSeconds(120));
        }
        String guests = karaf.ok("dumm:guest-list");
        assertTrue(guests, guests.lines().noneMatch(l -> l.startsWith("mx-")));
    }
}
