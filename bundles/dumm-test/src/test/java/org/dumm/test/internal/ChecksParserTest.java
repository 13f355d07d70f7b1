package org.dumm.test.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.dumm.lab.LabInfo;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** checks.yaml files written to disk and read back; what ip prints parsed; lab devices mapped to guests. */
public class ChecksParserTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path file(String text) throws IOException {
        Path f = tmp.getRoot().toPath().resolve(Checks.FILE);
        Files.writeString(f, text);
        return f;
    }

    private String error(String text) throws IOException {
        Path f = file(text);
        return assertThrows(ScenarioFormatException.class, () -> ChecksParser.read(f, new ArrayList<>())).getMessage()
                .substring(f.toString().length());
    }

    @Test
    public void readsEveryKindOfCheckUnderTestWithLines() throws IOException {
        List<String> warnings = new ArrayList<>();
        Checks c = ChecksParser.read(file("""
                labs_path: /somewhere
                test:
                  convergence_time: 12
                  ip_mapping:
                    r1:
                      "0": 10.0.0.1/24
                      eth1: [FD00:0:0::1/64, 10.1.0.1/16]
                  kernel_routes:
                    r1:
                      - default via 10.0.0.254 dev eth0
                      - "!10.9.0.0/16"
                      - 10.2.0.5
                  daemons:
                    r1: [bgpd, "!ospfd"]
                  reachability:
                    pc1: [r1, "!10.0.0.99", "fd00::1"]
                  custom_commands:
                    pc1:
                      - command: cat /etc/motd
                        expected_output: hello
                      - command: "false"
                        exit_code: 1
                      - command: uname
                        regex_match: "^Linux$"
                      - command: test -d /etc
                """), warnings);
        assertEquals(12, c.convergenceSeconds());
        assertEquals(List.of("r1", "pc1"), c.devices());
        assertEquals(List.of(Checks.FILE + ":1: 'labs_path' is not checked by Dumm"), warnings);
        List<Check> k = c.checks();
        assertEquals(new Check.Address(6, "r1", "eth0", "10.0.0.1/24"), k.get(0));
        assertEquals(new Check.Address(7, "r1", "eth1", "fd00::1/64"), k.get(1));
        assertEquals(new Check.Address(7, "r1", "eth1", "10.1.0.1/16"), k.get(2));
        assertEquals(new Check.Route(10, "r1", "default", "10.0.0.254", "eth0", false), k.get(3));
        assertEquals(new Check.Route(11, "r1", "10.9.0.0/16", null, null, true), k.get(4));
        assertEquals(new Check.Route(12, "r1", "10.2.0.5/32", null, null, false), k.get(5));
        assertEquals(new Check.Daemon(14, "r1", "bgpd", false), k.get(6));
        assertEquals(new Check.Daemon(14, "r1", "ospfd", true), k.get(7));
        assertEquals(new Check.Reach(16, "pc1", "r1", false), k.get(8));
        assertEquals(new Check.Reach(16, "pc1", "10.0.0.99", true), k.get(9));
        assertEquals(new Check.Reach(16, "pc1", "fd00::1", false), k.get(10));
        Check.Command motd = (Check.Command) k.get(11);
        assertEquals(19, motd.line());
        assertEquals("cat /etc/motd", motd.command());
        assertEquals("hello", motd.expectedOutput());
        assertEquals(null, motd.exitCode());
        assertEquals(Integer.valueOf(1), ((Check.Command) k.get(12)).exitCode());
        Check.Command uname = (Check.Command) k.get(13);
        assertTrue(uname.regex().matcher("x\nLinux\n").find());
        assertEquals("only what is written is compared", null, uname.exitCode());
        assertEquals("a command with nothing to compare must exit 0", Integer.valueOf(0), ((Check.Command) k.get(14)).exitCode());
    }

    @Test
    public void aLabCheckerJsonFileIsYamlToo() throws IOException {
        Checks c = ChecksParser.read(file("{\"daemons\": {\"r1\": [\"zebra\"]}, \"reachability\": {\"r1\": [\"10.0.0.2\"]}}\n"),
                new ArrayList<>());
        assertEquals(List.of(new Check.Daemon(1, "r1", "zebra", false), new Check.Reach(1, "r1", "10.0.0.2", false)),
                c.checks());
        assertEquals(0, c.convergenceSeconds());
    }

    @Test
    public void malformedFilesNameTheLine() throws IOException {
        assertEquals(":2: unknown key 'ip_mappings' (checks: custom_commands, daemons, ip_mapping, kernel_routes, "
                + "reachability; convergence_time)", error("convergence_time: 1\nip_mappings:\n  r1: {eth0: 10.0.0.1/24}\n"));
        assertEquals(":3: '10.0.0.1' needs a prefix length (ADDRESS/LENGTH)", error("ip_mapping:\n  r1:\n    eth0: 10.0.0.1\n"));
        assertEquals(":3: '10.0.0.300' is not an IPv4 or IPv6 address", error("ip_mapping:\n  r1:\n    eth0: 10.0.0.300/24\n"));
        assertEquals(":3: bad prefix length in '10.0.0.1/33'", error("ip_mapping:\n  r1:\n    eth0: 10.0.0.1/33\n"));
        assertEquals(":4: a route is 'DESTINATION [via ADDRESS] [dev IFACE]', not '10.0.0.0/8 through r2'",
                error("kernel_routes:\n  r1:\n    - default\n    - 10.0.0.0/8 through r2\n"));
        assertEquals(":2: bad device name 'R 1'", error("daemons:\n  R 1: [zebra]\n"));
        assertEquals(":2: bad process name 'a b'", error("daemons:\n  r1: a b\n"));
        assertEquals(":3: a custom command needs 'command'", error("custom_commands:\n  r1:\n    - exit_code: 1\n"));
        assertEquals(":4: unknown key 'exitcode' of a custom command (command, exit_code, expected_output, regex_match)",
                error("custom_commands:\n  r1:\n    - command: 'true'\n      exitcode: 1\n"));
        assertEquals(":4: exit_code must be a number from 0 to 255, not '256'",
                error("custom_commands:\n  r1:\n    - {command: 'true',\n       exit_code: 256}\n"));
        assertTrue(error("custom_commands:\n  r1:\n    - command: x\n      regex_match: '(('\n").startsWith(":4: bad regex_match: "));
        assertEquals(":1: convergence_time must be a number from 0 to 3600, not 'soon'", error("convergence_time: soon\n"));
        assertEquals(": no checks in it (keys: custom_commands, daemons, ip_mapping, kernel_routes, reachability)",
                error("convergence_time: 3\n"));
        assertTrue(error("daemons: [zebra\n"), error("daemons: [zebra\n").contains("not YAML"));
        assertEquals(":1: daemons must be a mapping (KEY: VALUE lines)", error("daemons: [zebra]\n"));
    }

    @Test
    public void readsWhatIpPrints() {
        assertEquals(java.util.Set.of("10.1.0.1/16", "fd00::1/64", "fe80::a8bb:ccff:fe00:1/64"), ChecksRun.addresses("""
                2: eth1    inet 10.1.0.1/16 brd 10.1.255.255 scope global eth1\\       valid_lft forever preferred_lft forever
                2: eth1    inet6 fd00:0::1/64 scope global \\       valid_lft forever preferred_lft forever
                2: eth1    inet6 fe80::a8bb:ccff:fe00:1/64 scope link \\       valid_lft forever preferred_lft forever
                """));
        List<ChecksRun.Route> routes = ChecksRun.routes("""
                default via 10.1.0.1 dev eth0
                10.1.0.0/16 dev eth0 proto kernel scope link src 10.1.0.10
                10.3.0.0/16 proto bird
                \tnexthop via 10.1.0.2 dev eth0 weight 1
                \tnexthop via 10.1.0.3 dev eth1 weight 1
                unreachable 10.9.0.0/16
                10.4.0.7 via 10.1.0.1 dev eth0
                fd00:0::/64 dev eth1 proto kernel metric 256 pref medium
                default via inet6 fe80::1 dev eth1 metric 1024
                """);
        assertEquals(7, routes.size());
        assertEquals(new ChecksRun.Route("default", java.util.Set.of("10.1.0.1"), java.util.Set.of("eth0")), routes.get(0));
        assertEquals(java.util.Set.of("10.1.0.2", "10.1.0.3"), routes.get(2).vias());
        assertEquals(java.util.Set.of("eth0", "eth1"), routes.get(2).devs());
        assertEquals("10.9.0.0/16", routes.get(3).destination());
        assertEquals("10.4.0.7/32", routes.get(4).destination());
        assertEquals("fd00::/64", routes.get(5).destination());
        assertEquals(java.util.Set.of("fe80::1"), routes.get(6).vias());
    }

    @Test
    public void aLabsDevicesAreItsGuests() throws IOException {
        Path lab = tmp.newFolder("lab1").toPath();
        Files.writeString(lab.resolve("lab.conf"), "r1[0]=A\n");
        LabInfo info = new LabInfo("lab1", lab.resolve("lab.conf").toString(),
                List.of(new LabInfo.Device("r1", "lab1-r1", "running", "deb", 128, List.of())), List.of());
        LabInfo other = new LabInfo("other", tmp.newFolder("other").toString(), List.of(
                new LabInfo.Device("r1", "other-r1", "running", "deb", 128, List.of())), List.of());
        assertEquals(Map.of("r1", "lab1-r1"), LabGuests.of(List.of(other, info), lab.resolve("../lab1")));
        assertEquals(Map.of("r1", "other-r1"), LabGuests.of(List.of(other, info), tmp.getRoot().toPath().resolve("other")));
        assertEquals(Map.of(), LabGuests.of(List.of(other, info), tmp.getRoot().toPath()));
    }
}
