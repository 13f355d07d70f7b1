package org.dumm.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.time.Duration;
import java.util.Dictionary;
import java.util.List;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.apache.karaf.features.Feature;
import org.dumm.api.Mesh;
import org.dumm.nativ.Native;
import org.junit.Test;
import org.osgi.framework.Bundle;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

/** The distribution boots with feature dumm, its bundles run, and a dumm:* command answers. */
public class DummFeatureIT extends DummTestSupport {

    @Inject
    ConfigurationAdmin configAdmin;

    @Test
    public void featureDummIsInstalled() throws Exception {
        Feature dumm = featuresService.getFeature("dumm");
        assertNotNull("feature dumm is not in any known repository", dumm);
        assertTrue("feature dumm is not installed", featuresService.isInstalled(dumm));
        String listed = executeCommand("feature:list -i");
        assertTrue("feature:list -i does not list dumm:\n" + listed,
                listed.lines().anyMatch(l -> l.matches("dumm\\s+[│|].*")));
    }

    @Test
    public void everyDummBundleIsActive() {
        waitFor("every Dumm bundle to be Active", Duration.ofSeconds(30), () -> DUMM_BUNDLES.stream()
                .allMatch(name -> bundle(name) != null && bundle(name).getState() == Bundle.ACTIVE));
        // Nothing else named dumm-* may be lying around in another state either.
        List<String> notActive = List.of(bundleContext.getBundles()).stream()
                .filter(b -> b.getSymbolicName() != null && b.getSymbolicName().startsWith("dumm-"))
                .filter(b -> b.getState() != Bundle.ACTIVE)
                .map(b -> b.getSymbolicName() + " state " + b.getState())
                .collect(Collectors.toList());
        assertEquals("Dumm bundles not Active", List.of(), notActive);
    }

    @Test
    public void meshServiceComesUp() {
        // Core's mandatory references (TAP, bridge, union fs, templates) all satisfied by the
        // feature's own bundles: the whole DS wiring works in the distribution.
        Mesh mesh = waitForService(Mesh.class);
        assertNotNull(mesh.status());
    }

    @Test
    public void versionCommandRunsThroughTheShell() {
        waitForCommand("dumm", "version", Duration.ofSeconds(30));
        String output = executeCommand("dumm:version");
        Bundle shell = bundle("dumm-shell");
        assertTrue("first line names the shell bundle's version:\n" + output,
                output.startsWith("Dumm " + shell.getVersion() + System.lineSeparator()));
        for (String name : DUMM_BUNDLES) {
            Bundle b = bundle(name);
            assertTrue("no line '" + name + " " + b.getVersion() + " Active' in:\n" + output,
                    output.lines().anyMatch(l -> l.matches(name + "\\s+" + b.getVersion().toString().replace(".", "\\.") + "\\s+Active")));
        }
        waitForService(Mesh.class);
        String withMesh = executeCommand("dumm:version");
        assertTrue("Mesh service not reported up:\n" + withMesh, withMesh.lines().anyMatch("Mesh service: up"::equals));
        // The same command as an SSH administrator would run it (command ACLs apply).
        assertEquals(executeCommand("dumm:version"), executeCommand("dumm:version", COMMAND_TIMEOUT, ADMIN));
    }

    @Test
    public void libcThroughJnrWorksInsideTheContainer() {
        // jnr-ffi generates its proxies at run time inside OSGi: wrong imports or a jffi whose
        // native fragment did not attach only show up here, never at build time.
        assertEquals(ProcessHandle.current().pid(), Native.libc().getpid());
        assertEquals("No such file or directory", Native.libc().strerror(2));
    }

    @Test
    public void failingCommandFailsTheTest() {
        String message = executeCommandExpectingFailure("no-such:command");
        assertTrue(message, message.contains("no-such:command"));
    }

    @Test
    public void distributionShipsDummConfiguration() throws Exception {
        Configuration config = configAdmin.getConfiguration("org.dumm", null);
        Dictionary<String, Object> p = config.getProperties();
        assertNotNull("no etc/org.dumm.cfg in the distribution", p);
        String karafData = System.getProperty("karaf.data");
        assertEquals(new File(karafData, "dumm").getPath(), new File(String.valueOf(p.get("workDir"))).getPath());
        assertEquals("/usr/bin/linux.uml", p.get("defaultKernel"));
        assertEquals("busybox", p.get("defaultMaster"));
        assertEquals("64", String.valueOf(p.get("defaultMemoryMb")));
        assertEquals("60", String.valueOf(p.get("bootTimeoutSeconds")));
    }

    @Test
    public void remoteAccessIsBoundToLoopback() throws Exception {
        assertEquals("127.0.0.1", configAdmin.getConfiguration("org.apache.karaf.shell", null).getProperties().get("sshHost"));
        Dictionary<String, Object> jmx = configAdmin.getConfiguration("org.apache.karaf.management", null).getProperties();
        assertEquals("127.0.0.1", jmx.get("rmiRegistryHost"));
        assertEquals("127.0.0.1", jmx.get("rmiServerHost"));
    }
}
