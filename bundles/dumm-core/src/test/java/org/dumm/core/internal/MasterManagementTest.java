package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Master;
import org.dumm.api.MasterRequest;
import org.dumm.nativ.net.DeviceMarker;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/**
 * Masters brought in, updated and removed with real guests on them (busybox, so it is quick):
 * import of a directory and of a tarball, refusals while guests use a master, and the checks
 * that leave nothing behind. Names start with {@code dmm}.
 */
public class MasterManagementTest {

    private static final DeviceMarker MARKER = new DeviceMarker("dmmtest:", 3911);
    private static final Duration EXEC = Duration.ofSeconds(20);

    private MeshFixture fx;
    private MeshManager mesh;
    private Path scratch;

    @Before
    public void setUp() throws Exception {
        fx = new MeshFixture("dmm", MARKER);
        mesh = fx.mesh;
        scratch = Files.createTempDirectory("dmm-src");
    }

    @After
    public void tearDown() {
        try {
            fx.close();
        } finally {
            MasterStore.deleteTree(scratch);
        }
    }

    private List<String> masterDirEntries() throws Exception {
        try (var s = Files.list(fx.workDir.resolve("masters"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    public void aDirectoryAndATarballBecomeMastersGuestsBootFrom() throws Exception {
        Path tree = scratch.resolve("tree");
        Files.createDirectories(tree);
        BusyboxMasterBuilder.build(tree, line -> { });
        Files.writeString(tree.resolve("etc/dmm-origin"), "from a directory\n");
        List<String> progress = new ArrayList<>();
        Master fromDir = mesh.importMaster("dmmdir", tree, progress::add);
        assertEquals("imported", fromDir.kind());
        assertTrue(progress.toString(), progress.stream().anyMatch(l -> l.contains("ready")));
        // a copy: the source stays the user's, untouched
        assertTrue(Files.exists(tree.resolve("etc/dmm-origin")));

        Path tarball = scratch.resolve("root.tar.gz");
        Files.writeString(tree.resolve("etc/dmm-origin"), "from a tarball\n");
        Process tar = new ProcessBuilder("tar", "-czf", tarball.toString(), "-C", tree.toString(), ".").inheritIO().start();
        assertEquals(0, tar.waitFor());
        mesh.importMaster("dmmtar", tarball, line -> { });
        List<String> names = mesh.masters().stream().map(Master::name).toList();
        assertTrue(names.toString(), names.containsAll(List.of("dmmdir", "dmmtar")));

        mesh.createGuest(new GuestDefinition("dmma", null, null, "dmmdir", 0, List.of()));
        mesh.createGuest(new GuestDefinition("dmmb", null, null, "dmmtar", 0, List.of()));
        mesh.startGuest("dmma");
        mesh.startGuest("dmmb");
        assertEquals("from a directory\n", mesh.exec("dmma", "cat /etc/dmm-origin", EXEC).stdoutText());
        assertEquals("from a tarball\n", mesh.exec("dmmb", "cat /etc/dmm-origin", EXEC).stdoutText());
    }

    @Test
    public void whatIsNotARootOrAlreadyThereIsRefusedAndLeavesNothing() throws Exception {
        mesh.createMaster(new MasterRequest("dmmbb", MasterRequest.Kind.BUSYBOX, null, List.of()), line -> { });
        List<String> before = masterDirEntries();
        Path notRoot = scratch.resolve("docs");
        Files.createDirectories(notRoot.resolve("share"));
        Files.writeString(notRoot.resolve("share/readme"), "not a root\n");
        expect(Reason.INVALID_ARGUMENT, "not a root filesystem", () -> mesh.importMaster("dmmbad", notRoot, line -> { }));
        expect(Reason.NOT_FOUND, "nothing to import", () -> mesh.importMaster("dmmbad", scratch.resolve("nope"), line -> { }));
        Path garbage = scratch.resolve("garbage.tar");
        Files.writeString(garbage, "this is no tar archive\n");
        expect(Reason.HOST_ERROR, "unpacking", () -> mesh.importMaster("dmmbad", garbage, line -> { }));
        expect(Reason.ALREADY_EXISTS, "already exists", () -> mesh.importMaster("dmmbb", notRoot, line -> { }));
        expect(Reason.INVALID_ARGUMENT, "", () -> mesh.importMaster("Bad Name", notRoot, line -> { }));
        assertEquals(before, masterDirEntries());
    }

    @Test
    public void aMasterChangesOnlyWhileNoGuestRunsOnItAndGoesOnlyWhenNoGuestIsDefinedOnIt() throws Exception {
        mesh.createMaster(new MasterRequest("dmmup", MasterRequest.Kind.BUSYBOX, null, List.of()), line -> { });
        mesh.createGuest(new GuestDefinition("dmmc", null, null, "dmmup", 0, List.of()));
        mesh.startGuest("dmmc");
        expect(Reason.INVALID_STATE, "dmmc", () -> mesh.execInMaster("dmmup", "touch /etc/dmm-new", line -> { }));
        assertFalse(Files.exists(fx.workDir.resolve("masters/dmmup/etc/dmm-new")));
        expect(Reason.INVALID_STATE, "used by dmmc", () -> {
            mesh.deleteMaster("dmmup");
            return null;
        });

        mesh.stopGuest("dmmc", Duration.ofSeconds(10));
        List<String> out = new ArrayList<>();
        assertEquals(0, mesh.execInMaster("dmmup", "echo updated > /etc/dmm-new; cat /etc/dmm-new; ls /proc/1/comm", out::add));
        assertEquals(List.of("updated", "/proc/1/comm"), out);
        // the chroot's own /proc went with it
        assertFalse(Files.exists(fx.workDir.resolve("masters/dmmup/proc/1")));
        assertEquals(3, mesh.execInMaster("dmmup", "exit 3", line -> { }));
        mesh.startGuest("dmmc");
        assertEquals("updated\n", mesh.exec("dmmc", "cat /etc/dmm-new", EXEC).stdoutText());

        mesh.stopGuest("dmmc", Duration.ofSeconds(10));
        mesh.deleteGuest("dmmc", false);
        mesh.deleteMaster("dmmup");
        assertFalse(Files.exists(fx.workDir.resolve("masters/dmmup")));
        assertFalse(Files.exists(fx.workDir.resolve("masters/dmmup.kind")));
        expect(Reason.NOT_FOUND, "does not exist", () -> {
            mesh.deleteMaster("dmmup");
            return null;
        });
    }

    @Test
    public void aRootPutIntoTheMastersDirectoryByHandIsSeen() throws Exception {
        Path byHand = fx.workDir.resolve("masters/dmmhand");
        Files.createDirectories(byHand);
        BusyboxMasterBuilder.build(byHand, line -> { });
        Master m = mesh.masters().stream().filter(x -> x.name().equals("dmmhand")).findFirst().orElseThrow();
        assertEquals("unknown", m.kind());
    }

    interface Call {
        Object call() throws Exception;
    }

    static void expect(Reason reason, String text, Call call) throws Exception {
        try {
            call.call();
            fail("expected " + reason);
        } catch (DummException e) {
            assertEquals(e.getMessage(), reason, e.reason());
            assertTrue(e.getMessage(), e.getMessage().contains(text));
        }
    }
}
