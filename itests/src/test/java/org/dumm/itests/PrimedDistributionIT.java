package org.dumm.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.After;
import org.junit.Test;

/**
 * The distribution ships with its OSGi framework state made at build time (data/cache, by
 * karaf-assembly's prime-framework-cache) and a class archive of the bundles' classes a start
 * loads (lib/dumm-karaf.jsa): a first start uses both as a restart would, unless etc/ was changed
 * where the framework state depends on it, and then Karaf makes that anew from etc/.
 * Both on the real distribution, started with bin/dumm-server.
 */
public class PrimedDistributionIT {

    /** Logged by the features service when it resolves and deploys (a first start without a primed cache). */
    private static final String DEPLOYING = "Changes to perform";

    private final Path base = Path.of("target", "primed").toAbsolutePath();
    private KarafInstance karaf;
    private Path workDir;

    private KarafInstance unpack() throws IOException {
        workDir = Isolation.workDir(base.resolve("w-" + Isolation.tag()));
        karaf = KarafInstance.unpack(Path.of(DummTestSupport.requiredProperty("dumm.distribution")),
                base.resolve("karaf"), workDir, Isolation.aliasPrefix("prm"), Isolation.deviceGroup(3));
        return karaf;
    }

    @After
    public void stopAndRemove() {
        if (karaf != null) {
            karaf.stop();
            assertFalse("Karaf still runs", karaf.isRunning());
            assertTrue("Dumm left host resources: " + Host.leftovers(workDir, karaf.aliasPrefix()),
                    Host.leftovers(workDir, karaf.aliasPrefix()).isEmpty());
            Host.deleteTree(karaf.home());
            Host.deleteTree(workDir);
        }
    }

    @Test
    public void firstStartUsesTheShippedFrameworkStateAndMakesItsOwnSecrets() throws Exception {
        KarafInstance k = unpack();
        Path home = k.home();
        assertTrue("no primed bundle cache in the distribution", Files.isDirectory(home.resolve("data/cache")));
        assertTrue(Files.exists(home.resolve("data/framework-primed.sha256")));
        // What belongs to one instance is not shipped: host key, shutdown secret, configuration
        // admin's store (absolute paths of the build's directory), logs, the mesh.
        assertFalse("the distribution ships a host key", Files.exists(home.resolve("etc/host.key")));
        assertFalse("the distribution ships Karaf's shutdown secret",
                Files.readString(home.resolve("etc/config.properties")).contains("karaf.shutdown.command"));
        assertEquals("configuration admin's store was shipped", List.of(), configStores(home));
        assertFalse(Files.exists(home.resolve("data/log")));
        assertFalse(Files.exists(home.resolve("data/dumm")));

        k.start(Duration.ofSeconds(180));
        assertFalse("the checksums are checked once, at the first start",
                Files.exists(home.resolve("data/framework-primed.sha256")));
        String log = Files.readString(home.resolve("data/log/karaf.log"));
        assertFalse("the first start resolved and deployed the boot features again", log.contains(DEPLOYING));
        String installed = k.ok("feature:list -i");
        assertEquals(installed, "Started", featureState(installed, "dumm"));
        // The configurations came from this instance's etc/, not from the build's directory.
        assertEquals(workDir.toString(), k.ok("config:property-get --pid org.dumm workDir").trim());
        assertTrue("no host key made at the first start", Files.exists(home.resolve("etc/host.key")));
        // The JVM keeps the class archive of Karaf's bundles mapped only if it took it (the jars
        // of the class path were given back the times the build recorded).
        String maps = Files.readString(Path.of("/proc", Long.toString(k.pid()), "maps"));
        assertTrue("the JVM did not take lib/dumm-karaf.jsa", maps.contains(home.resolve("lib/dumm-karaf.jsa").toString()));
        assertTrue(Files.readString(home.resolve("etc/config.properties")).contains("karaf.shutdown.command"));

        // A later start keeps the state the first one used (the check does not run again).
        k.stop();
        k.start(Duration.ofSeconds(180));
        assertFalse(Files.readString(home.resolve("data/log/karaf.log")).contains(DEPLOYING));
    }

    @Test
    public void changedBootFeaturesAreInstalledAtTheFirstStart() throws Exception {
        KarafInstance k = unpack();
        Path features = k.home().resolve("etc/org.apache.karaf.features.cfg");
        Matcher dumm = Pattern.compile("(?m)^(\\s*)dumm/").matcher(Files.readString(features));
        assertTrue("featuresBoot lists dumm", dumm.find());
        Files.writeString(features, dumm.replaceFirst("$1wrap, \\\\\n$1dumm/"));

        k.start(Duration.ofSeconds(180));
        String log = Files.readString(k.home().resolve("data/log/karaf.log"));
        assertTrue("the shipped state was used although featuresBoot changed", log.contains(DEPLOYING));
        // Dumm's commands answer while the features service is still finishing the deployment
        // (it records the features as installed at its end): poll for a while
        String installed = "";
        for (long end = System.nanoTime() + Duration.ofSeconds(60).toNanos(); System.nanoTime() < end; Host.sleep(500)) {
            installed = k.ok("feature:list -i");
            if (featureState(installed, "wrap").equals("Started") && featureState(installed, "dumm").equals("Started")) {
                break;
            }
        }
        assertEquals(installed, "Started", featureState(installed, "wrap"));
        assertEquals(installed, "Started", featureState(installed, "dumm"));
    }

    /** The State column of feature:list for feature {@code name}, or "absent". */
    private static String featureState(String featureList, String name) {
        Pattern row = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\s*\\|[^|]*\\|[^|]*\\|\\s*(\\w+)\\s*\\|");
        Matcher m = row.matcher(featureList);
        return m.find() ? m.group(1) : "absent";
    }

    private static List<Path> configStores(Path home) throws IOException {
        try (Stream<Path> bundles = Files.list(home.resolve("data/cache"))) {
            return bundles.map(b -> b.resolve("data/config")).filter(Files::isDirectory).toList();
        }
    }
}
