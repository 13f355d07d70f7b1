package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.MasterRequest;
import org.dumm.nativ.net.DeviceMarker;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * debootstrap builds that cannot succeed or are cut short leave no master, no building
 * directory, no mount and no process behind, and say why. Names start with {@code dmm}.
 */
public class DebianMasterFailureTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmmtest:", 3912);

    private MeshFixture fx;
    private MeshManager mesh;

    @Before
    public void setUp() throws Exception {
        fx = new MeshFixture("dmmf", MARKER);
        mesh = fx.mesh;
    }

    @After
    public void tearDown() {
        fx.close();
    }

    private MasterRequest debian(String name, String suite, String mirror) {
        return new MasterRequest(name, MasterRequest.Kind.DEBOOTSTRAP, suite, List.of(), mirror);
    }

    @Test
    public void aBadMirrorAnUnknownSuiteOrAMalformedUrlAreClearErrors() throws Exception {
        MasterManagementTest.expect(Reason.HOST_ERROR, "debootstrap failed",
                () -> mesh.createMaster(debian("dmmbadmirror", "bookworm", "file:///nonexistent/dmm-mirror"), line -> { }));
        MasterManagementTest.expect(Reason.NOT_FOUND, "no suite 'dmmnosuch'",
                () -> mesh.createMaster(debian("dmmnosuite", "dmmnosuch", null), line -> { }));
        MasterManagementTest.expect(Reason.INVALID_ARGUMENT, "not an http",
                () -> mesh.createMaster(debian("dmmbadurl", "bookworm", "ftp://x y"), line -> { }));
        assertNothingLeft();
    }

    @Test
    public void anInterruptedBuildEndsDebootstrapAndLeavesNoMaster() throws Exception {
        CountDownLatch running = new CountDownLatch(1);
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread build = new Thread(() -> {
            try {
                mesh.createMaster(debian("dmmcut", "bookworm", null), line -> {
                    if (line.startsWith("Retrieving") || line.startsWith("Validating")) {
                        running.countDown();
                    }
                });
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        build.start();
        assertTrue("debootstrap started fetching", running.await(120, TimeUnit.SECONDS));
        assertTrue(Files.isDirectory(fx.workDir.resolve("masters/.building-dmmcut")));
        build.interrupt();
        build.join(30_000);
        assertFalse(build.isAlive());
        assertTrue(String.valueOf(outcome.get()), outcome.get() instanceof DummException);
        assertTrue(outcome.get().getMessage(), outcome.get().getMessage().contains("interrupted"));
        assertNothingLeft();
    }

    private void assertNothingLeft() throws Exception {
        Path masters = fx.workDir.resolve("masters");
        if (Files.isDirectory(masters)) {
            try (var s = Files.list(masters)) {
                assertEquals(List.of(), s.map(p -> p.getFileName().toString()).toList());
            }
        }
        assertEquals(List.of(), ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").contains(fx.workDir.toString()))
                .map(p -> p.pid() + " " + p.info().commandLine().orElse("")).toList());
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(fx.workDir.toString()));
    }
}
