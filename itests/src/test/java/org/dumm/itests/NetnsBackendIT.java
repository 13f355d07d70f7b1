package org.dumm.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.dumm.api.Guest;
import org.dumm.api.GuestState;
import org.dumm.api.Mesh;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.ops4j.pax.exam.Option;

/**
 * Issue 26 in the container: feature dumm-backend-netns hot-installed under a running UML guest,
 * a netns guest pinging it across one bridge, uninstalled (its guest unavailable but running and
 * linked) and installed again (adopted, exec works), a kill -9 of the netns guest's first process
 * seen as a crash, and deletes that leave nothing. Names start with {@code n} + the container tag.
 */
public class NetnsBackendIT extends DummTestSupport {

    private static final String FEATURE = "dumm-backend-netns";
    private static Path driverWorkDir;
    private static String driverAliasPrefix;

    private Mesh mesh;
    private Path workDir;
    private String prefix;

    @Override
    protected Option[] additionalConfig() {
        if (driverWorkDir == null) {
            driverWorkDir = Isolation.workDir(Path.of("target", "dmi-nn-" + Isolation.tag()));
            driverAliasPrefix = Isolation.aliasPrefix("nns");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                List<String> left = Host.leftovers(driverWorkDir, driverAliasPrefix);
                if (!left.isEmpty()) {
                    System.err.println("netns itest: left on the host, removed by force: " + left);
                    Host.forceCleanup(driverWorkDir, driverAliasPrefix);
                }
                Host.deleteTree(driverWorkDir);
            }, "dumm-netns-itest-cleanup"));
        }
        return new Option[] {
                editConfigurationFilePut("etc/org.dumm.cfg", "workDir", driverWorkDir.toString()),
                editConfigurationFilePut("etc/org.dumm.cfg", "deviceAliasPrefix", driverAliasPrefix),
                editConfigurationFilePut("etc/org.dumm.cfg", "deviceGroup", Integer.toString(Isolation.deviceGroup(4))),
        };
    }

    @Before
    public void setUp() {
        mesh = waitForService(Mesh.class);
        workDir = Path.of(mesh.status().workDir());
        prefix = "n" + Isolation.tag();
        waitForCommand("dumm", "guest-info", Duration.ofSeconds(30));
    }

    @After
    public void tearDown() throws Exception {
        if (!featuresService.isInstalled(featuresService.getFeature(FEATURE))) {
            featuresService.installFeature(FEATURE);
        }
        waitFor("the netns backend", Duration.ofSeconds(30), () -> mesh.status().backends().contains("netns"));
        for (Guest g : mesh.guests()) {
            if (g.name().startsWith(prefix)) {
                mesh.deleteGuest(g.name(), true);
            }
        }
        mesh.bridges().stream().filter(b -> b.name().startsWith(prefix)).forEach(b -> mesh.deleteBridge(b.name()));
        waitFor("no mount under the work dir", Duration.ofSeconds(10), () -> Host.mountsUnder(workDir).isEmpty());
    }

    @Test
    public void hotDeployedNetnsGuestsMixWithUmlGuestsAndSurviveAReinstall() throws Exception {
        String u = prefix + "u";
        String n = prefix + "n";
        String br = prefix + "br";
        assertFalse("not booted by default", mesh.status().backends().contains("netns"));
        String refused = executeCommandExpectingFailure("dumm:guest-create --backend netns " + n);
        assertTrue(refused, refused.contains("feature:install " + FEATURE));

        executeCommand("dumm:bridge-create " + br);
        executeCommand("dumm:guest-create " + u);
        executeCommand("dumm:iface-add --bridge " + br + " " + u + " eth0");
        executeCommand("dumm:addr-add " + u + " eth0 10.198.0.1/24");
        executeCommand("dumm:guest-start " + u);

        executeCommand("feature:install " + FEATURE, COMMAND_TIMEOUT, ADMIN);
        waitFor("the netns backend", Duration.ofSeconds(30), () -> mesh.status().backends().contains("netns"));
        executeCommand("dumm:guest-create --backend netns --mem 32M " + n);
        executeCommand("dumm:iface-add --bridge " + br + " " + n + " eth0");
        executeCommand("dumm:addr-add " + n + " eth0 10.198.0.2/24");
        executeCommand("dumm:guest-start " + n);
        assertEquals(n + "\n", mesh.exec(n, "hostname", Duration.ofSeconds(10)).stdoutText());
        ping(n, "10.198.0.1");
        ping(u, "10.198.0.2");
        long pid = mesh.guest(n).orElseThrow().pid();

        executeCommand("feature:uninstall " + FEATURE, COMMAND_TIMEOUT, ADMIN);
        waitFor(n + " unavailable", Duration.ofSeconds(30),
                () -> mesh.guest(n).orElseThrow().state() == GuestState.UNAVAILABLE);
        assertTrue("the guest keeps running", Host.isAlive(pid));
        ping(u, "10.198.0.2");

        executeCommand("feature:install " + FEATURE, COMMAND_TIMEOUT, ADMIN);
        waitFor(n + " adopted", Duration.ofSeconds(30), () -> mesh.guest(n).orElseThrow().state() == GuestState.RUNNING);
        assertEquals(pid, mesh.guest(n).orElseThrow().pid());
        ping(n, "10.198.0.1");

        Host.run("kill", "-9", Long.toString(pid));
        waitFor(n + " crashed", Duration.ofSeconds(2), () -> mesh.guest(n).orElseThrow().state() == GuestState.CRASHED);

        executeCommand("dumm:guest-delete --force " + n + " " + u);
        executeCommand("dumm:bridge-delete " + br);
        waitFor("nothing of the test on the host", Duration.ofSeconds(10),
                () -> Host.leftovers(workDir, "dmitest-nns-").isEmpty() && !Host.isAlive(pid)
                        && !Files.exists(workDir.resolve("guests/" + n)));
    }

    private void ping(String from, String to) {
        AssertionError last = null;
        for (int i = 0; i < 3; i++) {
            try {
                executeCommand("dumm:exec " + from + " 'ping -c 1 -W 2 " + to + "'");
                return;
            } catch (AssertionError e) {
                last = e;
            }
        }
        throw last;
    }
}
