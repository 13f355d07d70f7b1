package org.dumm.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.CoreOptions.mavenBundle;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import javax.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.dumm.api.Bridge;
import org.dumm.api.Guest;
import org.dumm.api.Mesh;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.ops4j.pax.exam.Option;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.ConfigurationAdmin;

/**
 * Issue 6 through the console, in the Pax Exam container: the whole life of two linked guests,
 * the bad-input list, and a restart of the dumm-core bundle under running guests.
 *
 * <p>Isolation: the container's Dumm has its own work dir and device marker (set in
 * etc/org.dumm.cfg before boot), and every name starts with {@code d} + a tag made from the
 * container's pid. After each test nothing of it may remain on the host; what a failure leaves
 * is removed by {@link #tearDown()} (in the container) and, as a last resort, by
 * {@link #forceCleanup()} (in the test driver, when its JVM ends).
 */
public class MeshFlowIT extends DummTestSupport {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Set in the test driver (Pax Exam calls {@link #additionalConfig()} there only). */
    private static Path driverWorkDir;
    private static String driverAliasPrefix;

    @Inject
    ConfigurationAdmin configAdmin;

    private Mesh mesh;
    private Path workDir;
    private String aliasPrefix;
    private String prefix;
    private String foreignBridge;

    @Override
    protected Option[] additionalConfig() {
        if (driverWorkDir == null) {
            driverWorkDir = Isolation.workDir(Path.of("target", "dmi-w6-" + Isolation.tag()));
            driverAliasPrefix = Isolation.aliasPrefix("mesh");
            Runtime.getRuntime().addShutdownHook(new Thread(MeshFlowIT::forceCleanup, "dumm-mesh-itest-cleanup"));
        }
        return new Option[] {
                // the probe reads the commands' JSON with Jackson, which the dumm feature does not bring
                mavenBundle("com.fasterxml.jackson.core", "jackson-annotations", requiredProperty("jackson.annotations.version")),
                mavenBundle("com.fasterxml.jackson.core", "jackson-core", requiredProperty("jackson.version")),
                mavenBundle("com.fasterxml.jackson.core", "jackson-databind", requiredProperty("jackson.version")),
                editConfigurationFilePut("etc/org.dumm.cfg", "workDir", driverWorkDir.toString()),
                editConfigurationFilePut("etc/org.dumm.cfg", "deviceAliasPrefix", driverAliasPrefix),
                editConfigurationFilePut("etc/org.dumm.cfg", "deviceGroup", Integer.toString(Isolation.deviceGroup(0))),
        };
    }

    @Before
    public void setUp() throws IOException {
        mesh = waitForService(Mesh.class);
        Dictionary<String, Object> cfg = configAdmin.getConfiguration("org.dumm", null).getProperties();
        aliasPrefix = String.valueOf(cfg.get("deviceAliasPrefix"));
        assertTrue("the container must run with a test marker, not " + aliasPrefix, aliasPrefix.startsWith("dmitest-"));
        workDir = Path.of(mesh.status().workDir());
        assertEquals(Path.of(String.valueOf(cfg.get("workDir"))), workDir);
        prefix = "d" + Isolation.tag(); // this (container) JVM's pid
        waitForCommand("dumm", "guest-info", Duration.ofSeconds(30));
    }

    /** Removes what the test made (through the Mesh), then proves the host holds nothing of it. */
    @After
    public void tearDown() {
        Mesh m = waitForService(Mesh.class);
        for (Guest g : m.guests()) {
            if (g.name().startsWith(prefix)) {
                m.deleteGuest(g.name(), true);
            }
        }
        for (Bridge b : m.bridges()) {
            if (b.name().startsWith(prefix)) {
                m.deleteBridge(b.name());
            }
        }
        if (foreignBridge != null) {
            Host.run("ip", "link", "delete", foreignBridge); // the test's own stand-in for a host bridge
        }
        waitFor("the host to hold nothing of the test", Duration.ofSeconds(10),
                () -> Host.leftovers(workDir, aliasPrefix).isEmpty());
    }

    /**
     * In the test driver, when its JVM ends (Pax Exam 4 runs no driver-side {@code @AfterClass}):
     * removes by force whatever a crashed container left, then the work dir. A leak of a test
     * that ran is caught earlier, by {@link #tearDown()}.
     */
    private static void forceCleanup() {
        List<String> left = Host.leftovers(driverWorkDir, driverAliasPrefix);
        if (!left.isEmpty()) {
            System.err.println("dumm itests: left on the host after the container stopped, removed by force: " + left);
            Host.forceCleanup(driverWorkDir, driverAliasPrefix);
        }
        Host.deleteTree(driverWorkDir);
    }

    // ------------------------------------------------------------------ the flow

    @Test
    public void fullFlowBetweenTwoGuestsLeavesNothingBehind() {
        String a = prefix + "a";
        String b = prefix + "b";
        String br = prefix + "br";
        cmd("dumm:bridge-create " + br);
        assertTrue(br + " is not a bridge on the host", Host.links().get(br).bridge());
        cmd("dumm:guest-create " + a);
        cmd("dumm:guest-create " + b);
        assertEquals("STOPPED", info(a).get("state").asText());

        String started = cmd("dumm:guest-start " + a + " " + b);
        assertTrue(started, started.contains("2 of 2 started"));
        for (String g : List.of(a, b)) {
            JsonNode i = info(g);
            assertEquals("RUNNING", i.get("state").asText());
            assertTrue(Host.isAlive(i.get("pid").asLong()));
            assertEquals(List.of(workDir.resolve("guests/" + g + "/union").toString()),
                    Host.mountsUnder(workDir.resolve("guests/" + g)));
        }

        // Hot-plug into the running guests, then wire and address them.
        cmd("dumm:iface-add " + a + " eth0");
        cmd("dumm:iface-add " + b + " eth0");
        assertTrue(Host.links().get(a + "-eth0").tap());
        assertEquals(null, Host.links().get(a + "-eth0").master());
        cmd("dumm:connect " + a + " eth0 " + br);
        cmd("dumm:connect " + b + " eth0 " + br);
        assertEquals(br, Host.links().get(a + "-eth0").master());
        assertEquals(br, Host.links().get(b + "-eth0").master());
        cmd("dumm:addr-add " + a + " eth0 10.199.0.1/24");
        cmd("dumm:addr-add " + b + " eth0 10.199.0.2/24");

        JsonNode eth0 = info(a).get("interfaces").get(0);
        assertEquals(a, eth0.get("guest").asText());
        assertEquals("eth0", eth0.get("name").asText());
        assertEquals(a + "-eth0", eth0.get("tap").asText());
        assertEquals(br, eth0.get("bridge").asText());
        assertTrue(eth0.get("mac").asText(), eth0.get("mac").asText().matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}"));
        assertEquals("[\"10.199.0.1/24\"]", eth0.get("addresses").toString());
        String inside = cmd("dumm:exec " + a + " 'ip -4 addr show dev eth0'");
        assertTrue(inside, inside.contains("10.199.0.1/24"));

        String ping = ping(a, "10.199.0.2");
        assertTrue(ping, ping.contains("1 packets received"));

        cmd("dumm:disconnect " + a + " eth0");
        assertEquals(null, Host.links().get(a + "-eth0").master());
        assertEquals("null", info(a).get("interfaces").get(0).get("bridge").toString());
        String cut = executeCommandExpectingFailure("dumm:exec " + a + " 'ping -c 1 -W 1 10.199.0.2'");
        assertTrue(cut, cut.contains("status 1"));

        cmd("dumm:connect " + a + " eth0 " + br);
        ping(a, "10.199.0.2");

        long pidA = info(a).get("pid").asLong();
        cmd("dumm:guest-stop " + a + " " + b);
        for (String g : List.of(a, b)) {
            assertEquals("STOPPED", info(g).get("state").asText());
            assertFalse(g + "'s TAP outlived its guest", Host.linkExists(g + "-eth0"));
            assertEquals(List.of(), Host.mountsUnder(workDir.resolve("guests/" + g)));
        }
        waitFor("guest " + a + " (pid " + pidA + ") and its UML helpers to exit", Duration.ofSeconds(10),
                () -> !Host.isAlive(pidA) && Host.umlProcessesIn(workDir).stream().noneMatch(Host::isAlive));

        cmd("dumm:guest-delete " + a + " " + b);
        cmd("dumm:bridge-delete " + br);
        assertFalse(Host.linkExists(br));
        assertFalse(Files.exists(workDir.resolve("guests/" + a)));
        assertFalse(Files.exists(workDir.resolve("guests/" + b)));
        assertTrue(mesh.guests().stream().noneMatch(g -> g.name().startsWith(prefix)));
        assertEquals(List.of(), Host.leftovers(workDir, aliasPrefix));
    }

    // ------------------------------------------------------------------ bad input

    @Test
    public void badInputGetsOneClearLineAndLeavesNothing() {
        String c = prefix + "c";
        String br = prefix + "br";
        cmd("dumm:bridge-create " + br);
        cmd("dumm:guest-create " + c);

        // Names
        bad("dumm:guest-create " + prefix + "/x", "'/'");
        bad("dumm:guest-create ../" + prefix, "'/'");
        bad("dumm:guest-create " + prefix + "..x", "'..'");
        bad("dumm:guest-create '" + prefix + " x'", "invalid");
        bad("dumm:guest-create " + prefix.toUpperCase(Locale.ROOT) + "X", "invalid");
        bad("dumm:guest-create " + prefix + "x".repeat(33 - prefix.length()), "at most 32");
        bad("dumm:bridge-create " + prefix + "x".repeat(16 - prefix.length()), "at most 15");
        bad("dumm:bridge-create '" + prefix + " b'", "invalid");
        bad("dumm:guest-create ''", "empty");
        bad("dumm:iface-add " + c + " eth0123456789", "invalid");
        bad("dumm:iface-add " + c + " eth0/x", "invalid");

        // Duplicates
        bad("dumm:guest-create " + c, "already exists");
        bad("dumm:bridge-create " + br, "already exists");

        // Unknown guest, bridge, interface, template, master, backend, kernel
        String none = prefix + "none";
        bad("dumm:guest-start " + none, "does not exist");
        bad("dumm:guest-info " + none, "does not exist");
        bad("dumm:exec " + none + " true", "does not exist");
        bad("dumm:guest-delete " + none, "does not exist");
        bad("dumm:iface-add " + none + " eth0", "does not exist");
        bad("dumm:iface-add --bridge " + none + " " + c + " eth1", "does not exist");
        bad("dumm:bridge-delete " + none, "does not exist");
        bad("dumm:disconnect " + c + " eth7", "no interface");
        bad("dumm:iface-remove " + c + " eth7", "no interface");
        bad("dumm:addr-add " + c + " eth7 10.199.1.1/24", "no interface");
        bad("dumm:template-load " + none, "does not exist");
        bad("dumm:guest-create --master " + none + " " + prefix + "m", "does not exist");
        bad("dumm:guest-create --backend " + none + " " + prefix + "m", "not available");
        bad("dumm:guest-create --kernel /nonexistent/linux " + prefix + "m", "missing");

        // Memory
        bad("dumm:guest-create --mem -5M " + prefix + "m", "invalid");
        bad("dumm:guest-create --mem 0M " + prefix + "m", "invalid");
        bad("dumm:guest-create --mem 5M " + prefix + "m", "out of range");
        bad("dumm:guest-create --mem lots " + prefix + "m", "invalid");

        // An interface added to a stopped guest is recorded and plugged at its next boot.
        String added = cmd("dumm:iface-add " + c + " eth0");
        assertTrue(added, added.contains("tap " + c + "-eth0"));
        cmd("dumm:connect " + c + " eth0 " + br);
        cmd("dumm:addr-add " + c + " eth0 10.199.2.1/24");
        assertFalse("a stopped guest's TAP exists on the host", Host.linkExists(c + "-eth0"));
        bad("dumm:iface-add " + c + " eth0", "already has interface");
        bad("dumm:addr-add " + c + " eth0 10.199.2.1/24", "already has address");

        // Invalid CIDR
        for (String cidr : List.of("10.199.0.300/24", "10.199.0.1/33", "10.199.0.1", "nonsense/24", "fe80::1/129", "/24")) {
            bad("dumm:addr-add " + c + " eth0 " + cidr, "not valid CIDR");
        }

        cmd("dumm:guest-start " + c);
        assertEquals(br, Host.links().get(c + "-eth0").master());
        String inside = cmd("dumm:exec " + c + " 'ip -4 addr show dev eth0'");
        assertTrue(inside, inside.contains("10.199.2.1/24"));

        // A running guest is not deleted without --force.
        long pid = info(c).get("pid").asLong();
        bad("dumm:guest-delete " + c, "--force");
        assertEquals("RUNNING", info(c).get("state").asText());
        assertEquals(pid, info(c).get("pid").asLong());
        bad("dumm:guest-start " + c, "running");

        // A bridge that exists on the host but is not Dumm's is refused and left alone.
        String hostBridge = prefix + "hb";
        assertFalse(hostBridge + " exists already", Host.linkExists(hostBridge));
        Host.Result made = Host.run("ip", "link", "add", hostBridge, "type", "bridge");
        assertEquals(made.out(), 0, made.status());
        foreignBridge = hostBridge; // made here, so tearDown may delete it
        bad("dumm:bridge-create " + foreignBridge, "not Dumm's");
        Host.Link untouched = Host.links().get(foreignBridge);
        assertNotNull("Dumm removed a host bridge that is not its own", untouched);
        assertEquals("Dumm marked a host bridge that is not its own", "", untouched.alias());
        assertTrue(mesh.bridge(foreignBridge).isEmpty());

        cmd("dumm:guest-stop " + c);
        cmd("dumm:guest-delete " + c);
        cmd("dumm:bridge-delete " + br);
        assertEquals(List.of(), Host.leftovers(workDir, aliasPrefix));
    }

    // ------------------------------------------------------------------ bundle restart

    @Test
    public void restartOfTheCoreBundleReadoptsRunningGuests() {
        String a = prefix + "a";
        String b = prefix + "b";
        String br = prefix + "br";
        cmd("dumm:bridge-create " + br);
        cmd("dumm:guest-create " + a);
        cmd("dumm:guest-create " + b);
        cmd("dumm:iface-add --bridge " + br + " " + a + " eth0");
        cmd("dumm:iface-add --bridge " + br + " " + b + " eth0");
        cmd("dumm:addr-add " + a + " eth0 10.199.3.1/24");
        cmd("dumm:addr-add " + b + " eth0 10.199.3.2/24");
        cmd("dumm:guest-start " + a + " " + b);
        ping(a, "10.199.3.2");
        Map<String, Long> pids = new TreeMap<>();
        Map<String, Double> uptimes = new TreeMap<>();
        for (String g : List.of(a, b)) {
            pids.put(g, info(g).get("pid").asLong());
            uptimes.put(g, uptime(g));
        }
        Set<String> devices = Host.linksMarked(aliasPrefix).keySet();

        Mesh before = mesh;
        executeCommand("bundle:restart dumm-core", COMMAND_TIMEOUT, ADMIN); // bundle:* needs the admin role
        waitFor("a new Mesh service", Duration.ofSeconds(30), () -> {
            ServiceReference<Mesh> ref = bundleContext.getServiceReference(Mesh.class);
            Mesh now = ref == null ? null : bundleContext.getService(ref);
            return now != null && now != before && now.guest(a).isPresent();
        });
        mesh = waitForService(Mesh.class);
        waitFor("dumm:guest-info to answer again", Duration.ofSeconds(30), () -> {
            try {
                info(a);
                return true;
            } catch (AssertionError e) {
                return false;
            }
        });

        for (String g : List.of(a, b)) {
            JsonNode i = info(g);
            assertEquals(g + " after core restart", "RUNNING", i.get("state").asText());
            assertEquals(g + " pid after core restart", (long) pids.get(g), i.get("pid").asLong());
            double up = uptime(g);
            assertTrue(g + " rebooted: uptime " + uptimes.get(g) + " → " + up, up > uptimes.get(g));
        }
        ping(a, "10.199.3.2");
        assertEquals("host devices after core restart", new TreeSet<>(devices), new TreeSet<>(Host.linksMarked(aliasPrefix).keySet()));
        assertEquals(br, Host.links().get(a + "-eth0").master());
    }

    @Test
    public void changedSettingsApplyWithoutRestartingTheMesh() throws IOException {
        Mesh before = mesh;
        org.osgi.service.cm.Configuration core = configAdmin.getConfiguration("org.dumm", null);
        Dictionary<String, Object> saved = core.getProperties();
        Dictionary<String, Object> changed = core.getProperties();
        changed.put("defaultMemoryMb", "80");
        org.osgi.service.cm.Configuration uml = configAdmin.getConfiguration("org.dumm.uml", null);
        Dictionary<String, Object> umlSaved = uml.getProperties();
        java.util.Hashtable<String, Object> umlChanged = new java.util.Hashtable<>();
        umlChanged.put("pinGuests", "false");
        core.update(changed);
        uml.update(umlChanged);
        try {
            String g = prefix + "m";
            // configuration events are delivered asynchronously: ask until the new default shows
            waitFor("a guest created with the new default memory", Duration.ofSeconds(20), () -> {
                cmd("dumm:guest-create " + g);
                if (info(g).get("memoryMb").asInt() == 80) {
                    return true;
                }
                cmd("dumm:guest-delete " + g);
                return false;
            });
            ServiceReference<Mesh> ref = bundleContext.getServiceReference(Mesh.class);
            assertTrue("the Mesh service was not restarted", bundleContext.getService(ref) == before);
        } finally {
            core.update(saved);
            if (umlSaved == null) {
                uml.delete();
            } else {
                uml.update(umlSaved);
            }
            // fileinstall writes each update back to etc/org.dumm.cfg and, polling etc/, may read
            // that file while it is being written and apply the part it read: the test's own
            // settings at the end of the file (marker, work dir) were then missing for the next
            // test. Wait until the file and the configuration have settled on the saved values.
            Object marker = saved.get("deviceAliasPrefix");
            Object memory = saved.get("defaultMemoryMb");
            for (int settled = 0; settled < 2; settled++) {
                waitFor("org.dumm back to its saved settings", Duration.ofSeconds(20), () -> {
                    Dictionary<String, Object> now = core.getProperties();
                    return now != null && String.valueOf(marker).equals(String.valueOf(now.get("deviceAliasPrefix")))
                            && String.valueOf(memory).equals(String.valueOf(now.get("defaultMemoryMb")));
                });
                Host.sleep(1500); // longer than fileinstall's poll of etc/ (1 s)
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private String cmd(String command) {
        return executeCommand(command);
    }

    /**
     * Runs a command that must fail with one clear line containing {@code expected} and must not
     * change anything: no guest, bridge, host device, mount, process or guest dir appears or goes.
     */
    private void bad(String command, String expected) {
        String before = snapshot();
        String message = executeCommandExpectingFailure(command);
        assertNotNull(command, message);
        assertFalse(command + ": empty message", message.isBlank());
        assertFalse(command + ": message is not one line: " + message, message.strip().contains("\n"));
        assertTrue(command + ": '" + message + "' does not say " + expected,
                message.toLowerCase(Locale.ROOT).contains(expected.toLowerCase(Locale.ROOT)));
        assertEquals(command + " changed something", before, snapshot());
    }

    /** What a failed command must not change, as comparable text. */
    private String snapshot() {
        List<String> s = new ArrayList<>();
        s.add("guests " + mesh.guests().stream().map(g -> g.name() + ":" + g.state() + ":" + g.interfaces().stream()
                .map(i -> i.name() + "@" + i.bridge() + i.addresses()).toList()).collect(Collectors.joining(",")));
        s.add("bridges " + mesh.bridges().stream().map(Bridge::name).collect(Collectors.joining(",")));
        s.add("devices " + Host.linksMarked(aliasPrefix).keySet());
        s.add("mounts " + Host.mountsUnder(workDir));
        // UML guests start and end host processes all the time; which guests have any is stable.
        s.add("guest processes " + Host.umlProcessesIn(workDir).stream().filter(Host::isAlive)
                .flatMap(p -> Host.cmdline(p).stream().filter(arg -> arg.startsWith("umid=")))
                .collect(Collectors.toCollection(TreeSet::new)));
        try (var dirs = Files.list(workDir.resolve("guests"))) {
            s.add("dirs " + dirs.map(p -> p.getFileName().toString()).sorted().toList());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return String.join("\n", s);
    }

    private JsonNode info(String guest) {
        try {
            return JSON.readTree(executeCommand("dumm:guest-info --json " + guest));
        } catch (IOException e) {
            throw new AssertionError("guest-info --json is not JSON", e);
        }
    }

    private double uptime(String guest) {
        return Double.parseDouble(executeCommand("dumm:exec " + guest + " 'cat /proc/uptime'").trim().split("\\s+")[0]);
    }

    /** Pings from a guest; a retry covers neighbour discovery right after a link change. */
    private String ping(String from, String to) {
        StringBuilder tries = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            try {
                return executeCommand("dumm:exec " + from + " 'ping -c 1 -W 2 " + to + "'");
            } catch (AssertionError e) {
                tries.append(e.getMessage()).append('\n');
            }
        }
        throw new AssertionError(from + " cannot reach " + to + ":\n" + tries);
    }
}
