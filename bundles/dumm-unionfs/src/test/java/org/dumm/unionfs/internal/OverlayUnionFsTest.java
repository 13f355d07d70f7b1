package org.dumm.unionfs.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.spi.LayerStack;
import org.dumm.nativ.Mounts;
import org.dumm.nativ.Native;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** Real overlay mounts under /tmp/dmu-uft-*; everything is unmounted and removed afterwards. */
public class OverlayUnionFsTest {

    private Path base;
    private OverlayUnionFs fs;
    private final List<Process> processes = new ArrayList<>();
    private final List<FileChannel> channels = new ArrayList<>();
    /** Non-overlay mounts a test makes (tmpfs, binds), unmounted in reverse order. */
    private final List<Path> otherMounts = new ArrayList<>();

    @Before
    public void setUp() throws IOException {
        base = Files.createTempDirectory(Path.of("/tmp"), "dmu-uft-").toRealPath();
        fs = new OverlayUnionFs();
    }

    @After
    public void tearDown() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        for (FileChannel c : channels) {
            c.close();
        }
        RuntimeException first = null;
        for (Path m : fs.mountsUnder(base)) {
            try {
                fs.unmount(m);
            } catch (RuntimeException e) {
                first = first == null ? e : first;
                Native.libc().umount2(m.toString(), Mounts.MNT_DETACH);
            }
        }
        for (int i = otherMounts.size() - 1; i >= 0; i--) {
            Native.libc().umount2(otherMounts.get(i).toString(), Mounts.MNT_DETACH);
        }
        List<String> left = new ArrayList<>();
        for (MountInfo m : MountInfo.read()) {
            if (m.mountPoint().startsWith(base)) {
                left.add(m.mountPoint().toString());
                Native.libc().umount2(m.mountPoint().toString(), Mounts.MNT_DETACH);
            }
        }
        Dirs.deleteTree(base);
        assertEquals("mounts left under " + base, List.of(), left);
        if (first != null) {
            throw first;
        }
    }

    // ---- fixtures

    private Path dir(String rel) throws IOException {
        return Files.createDirectories(base.resolve(rel));
    }

    private Path write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, content);
    }

    private Path master() throws IOException {
        Path m = dir("masters/dmubox");
        write(m.resolve("etc/hostname"), "master\n");
        write(m.resolve("probe"), "master-version\n");
        write(m.resolve("opt/pkg/readme"), "pkg\n");
        return m;
    }

    private LayerStack stack(Path upper, Path work, Path... lowers) {
        return new LayerStack(List.of(lowers), upper, work);
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, UTF_8);
    }

    private static DummException expectFailure(Runnable r) {
        try {
            r.run();
        } catch (DummException e) {
            return e;
        }
        throw new AssertionError("expected a DummException");
    }

    private Process holdCwd(Path cwd) throws IOException {
        Process p = new ProcessBuilder("sleep", "600").directory(cwd.toFile()).start();
        processes.add(p);
        return p;
    }

    // ---- tests

    @Test
    public void mountShowsLayersAndUnmountRemovesIt() throws IOException {
        Path master = master();
        Path diff = dir("guests/dmua/diff");
        Path work = base.resolve("guests/dmua/work/0");
        Path union = base.resolve("guests/dmua/union");
        LayerStack s = stack(diff, work, master);

        fs.mount(s, union);

        assertTrue(fs.isMounted(union));
        assertFalse("a directory inside the overlay is not where it is mounted", fs.isMounted(union.resolve("etc")));
        assertFalse(fs.isMounted(base.resolve("guests/dmua/absent")));
        assertFalse(fs.isMounted(union.resolve("etc/hostname/x"))); // ENOTDIR
        // the partial table the stop and start paths read answers as the whole one does
        MountInfo whole = MountTable.read().top(union);
        assertNotNull(whole);
        assertEquals(whole, MountTable.readAbout(union).top(union));
        assertEquals(whole, MountTable.readAbout(base.resolve("other"), union).top(union));
        assertEquals(whole, MountTable.readAbout(diff).writableUser(diff, null));
        assertEquals(whole, MountTable.readAbout(work.getParent()).writableUser(work, null));
        assertNull("only lines about the paths asked for", MountTable.readAbout(base.resolve("other")).top(union));
        assertEquals("a path the kernel escapes reads everything", whole,
                MountTable.readAbout(base.resolve("with space")).top(union));
        assertEquals(s, fs.stackAt(union));
        assertEquals(List.of(union), fs.mountsUnder(base));
        assertEquals("master\n", read(union.resolve("etc/hostname")));
        assertTrue(Files.isDirectory(work.resolve("work"), LinkOption.NOFOLLOW_LINKS));

        fs.unmount(union);

        assertFalse(fs.isMounted(union));
        assertEquals(List.of(), fs.mountsUnder(base));
        assertTrue("mount point stays", Files.isDirectory(union));
        assertFalse("work dir of a cleanly unmounted stack is removed", Files.exists(work));
        fs.unmount(union); // absent: ignored
    }

    @Test
    public void writesLandInTheUpperAndMasterStaysUnchanged() throws IOException {
        Path master = master();
        Path diff = dir("guests/dmua/diff");
        Path union = base.resolve("guests/dmua/union");
        fs.mount(stack(diff, base.resolve("guests/dmua/work/0"), master), union);

        write(union.resolve("etc/new.conf"), "new\n");
        write(union.resolve("etc/hostname"), "dmua\n");

        assertEquals("new\n", read(diff.resolve("etc/new.conf")));
        assertEquals("dmua\n", read(diff.resolve("etc/hostname")));
        assertEquals("master\n", read(master.resolve("etc/hostname")));
        assertFalse(Files.exists(master.resolve("etc/new.conf")));
    }

    @Test
    public void deletingAMasterFileHidesItForThatGuestOnly() throws Exception {
        Path master = master();
        Path diffA = dir("guests/dmua/diff");
        Path diffB = dir("guests/dmub/diff");
        Path unionA = base.resolve("guests/dmua/union");
        Path unionB = base.resolve("guests/dmub/union");
        fs.mount(stack(diffA, base.resolve("guests/dmua/work/0"), master), unionA);
        fs.mount(stack(diffB, base.resolve("guests/dmub/work/0"), master), unionB);

        Files.delete(unionA.resolve("etc/hostname"));

        assertFalse(Files.exists(unionA.resolve("etc/hostname")));
        Path whiteout = diffA.resolve("etc/hostname");
        int mode = (Integer) Files.getAttribute(whiteout, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        long rdev = (Long) Files.getAttribute(whiteout, "unix:rdev", LinkOption.NOFOLLOW_LINKS);
        assertEquals("whiteout is a character device", Mounts.S_IFCHR, mode & Mounts.S_IFMT);
        assertEquals("whiteout is device 0/0", 0L, rdev);
        assertEquals("master\n", read(master.resolve("etc/hostname")));
        assertEquals("master\n", read(unionB.resolve("etc/hostname")));
        assertEquals(2, fs.mountsUnder(base).size());
    }

    @Test
    public void switchBeneathKeepsOpenFilesAndCwdOnTheOldStack() throws Exception {
        switchWithBusyOldStack(OverlayUnionFs.SwitchMode.AUTO, OverlayUnionFs.SwitchMode.BENEATH);
    }

    @Test
    public void switchByDetachThenAttachOfAClone() throws Exception {
        switchWithBusyOldStack(OverlayUnionFs.SwitchMode.DETACH_THEN_ATTACH, OverlayUnionFs.SwitchMode.DETACH_THEN_ATTACH);
    }

    @Test
    public void switchByDetachThenMsMove() throws Exception {
        switchWithBusyOldStack(OverlayUnionFs.SwitchMode.DETACH_THEN_MS_MOVE, OverlayUnionFs.SwitchMode.DETACH_THEN_MS_MOVE);
    }

    private void switchWithBusyOldStack(OverlayUnionFs.SwitchMode mode, OverlayUnionFs.SwitchMode expectedUsed) throws Exception {
        fs.switchMode(mode);
        Path master = master();
        Path diff = dir("guests/dmua/diff");
        Path layer = dir("templates/dmut/dmua");
        Path workBase = base.resolve("guests/dmua/work");
        Path union = base.resolve("guests/dmua/union");
        write(diff.resolve("probe"), "diff-version\n");
        write(layer.resolve("probe"), "template-version\n");
        write(diff.resolve("held.log"), "before\n");
        fs.mount(stack(diff, workBase.resolve("0"), master), union);

        Process inUnion = holdCwd(union);
        FileChannel held = FileChannel.open(union.resolve("held.log"), StandardOpenOption.READ, StandardOpenOption.WRITE);
        channels.add(held);

        // load: template layer on top of the diff
        fs.switchStack(union, stack(layer, workBase.resolve("1"), diff, master));

        assertEquals(expectedUsed, fs.lastSwitchUsed());
        assertEquals("template-version\n", read(union.resolve("probe")));
        assertEquals(layer, fs.stackAt(union).upper());
        assertEquals(List.of(union), fs.mountsUnder(base));
        assertFalse("staging dir removed", Files.exists(base.resolve("guests/dmua/.union.next")));
        // the process that sits in the old root keeps seeing the old stack
        Path oldCwd = Path.of("/proc/" + inUnion.pid() + "/cwd");
        assertEquals("diff-version\n", read(oldCwd.resolve("probe")));
        // new writes through the union go to the template layer
        write(union.resolve("recorded"), "scenario\n");
        assertEquals("scenario\n", read(layer.resolve("recorded")));
        assertFalse(Files.exists(diff.resolve("recorded")));
        // a file held open across the switch still writes into the diff, not the template
        held.write(ByteBuffer.wrap("after-load\n".getBytes(UTF_8)), held.size());
        assertEquals("before\nafter-load\n", read(diff.resolve("held.log")));
        assertFalse(Files.exists(layer.resolve("held.log")));
        assertTrue("old work dir is kept while the old stack is busy", Files.exists(workBase.resolve("0")));

        // unload: the diff is the upper again, with a fresh work dir
        fs.switchStack(union, stack(diff, workBase.resolve("2"), master));

        assertEquals("diff-version\n", read(union.resolve("probe")));
        assertFalse(Files.exists(union.resolve("recorded")));
        assertEquals("before\nafter-load\n", read(union.resolve("held.log")));
        assertTrue(inUnion.isAlive());
        assertEquals(new LayerStack(List.of(master), diff, workBase.resolve("2")), fs.stackAt(union));
        // the template stack was not busy: its work dir went with it
        assertFalse(Files.exists(workBase.resolve("1")));
    }

    @Test
    public void switchUnderSharedPropagation() throws Exception {
        // a shared tmpfs with a peer, like / on a systemd host
        Path shared = dir("shared");
        Path peer = dir("peer");
        Native.check(Native.libc().mount("dmu-uft", shared.toString(), "tmpfs", 0, "size=16m"), "mount tmpfs");
        otherMounts.add(shared);
        Native.check(Native.libc().mount(null, shared.toString(), null, Mounts.MS_SHARED, null), "make shared");
        Native.check(Native.libc().mount(shared.toString(), peer.toString(), null, Mounts.MS_BIND, null), "bind peer");
        otherMounts.add(peer);
        Path master = Files.createDirectories(shared.resolve("masters/dmubox"));
        write(master.resolve("probe"), "master-version\n");
        Path diff = Files.createDirectories(shared.resolve("guests/dmua/diff"));
        Path layer = Files.createDirectories(shared.resolve("templates/dmut/dmua"));
        write(layer.resolve("probe"), "template-version\n");
        Path workBase = shared.resolve("guests/dmua/work");
        Path union = shared.resolve("guests/dmua/union");
        fs.mount(stack(diff, workBase.resolve("0"), master), union);
        assertTrue(MountTable.read().containing(union.getParent()).shared());

        // MS_MOVE is refused under a shared parent: a clear error, the old stack untouched
        fs.switchMode(OverlayUnionFs.SwitchMode.DETACH_THEN_MS_MOVE);
        DummException e = expectFailure(() -> fs.switchStack(union, stack(layer, workBase.resolve("1"), diff, master)));
        assertEquals(Reason.INVALID_STATE, e.reason());
        assertTrue(e.getMessage(), e.getMessage().contains("shared mount propagation"));
        assertEquals(diff, fs.stackAt(union).upper());
        assertFalse(Files.exists(workBase.resolve("1")));
        assertFalse(Files.exists(shared.resolve("guests/dmua/.union.next")));

        // the clone is a detached tree: attaching it works whatever the propagation
        fs.switchMode(OverlayUnionFs.SwitchMode.AUTO);
        fs.switchStack(union, stack(layer, workBase.resolve("1"), diff, master));

        assertEquals("template-version\n", read(union.resolve("probe")));
        assertEquals("the peer sees the same switch", "template-version\n", read(peer.resolve("guests/dmua/union/probe")));
        fs.unmount(union);
        assertFalse(fs.isMounted(union));
        assertFalse("unmount propagated to the peer", fs.isMounted(peer.resolve("guests/dmua/union")));
        assertEquals(List.of(), fs.mountsUnder(base));
    }

    @Test
    public void staleMountsAreFoundAndRemovedByAFreshInstance() throws IOException {
        Path master = master();
        for (String g : List.of("dmua", "dmub")) {
            fs.mount(stack(dir("guests/" + g + "/diff"), base.resolve("guests/" + g + "/work/0"), master),
                    base.resolve("guests/" + g + "/union"));
        }
        // a crash in the middle of a switch: a new stack left on the staging dir
        Path stage = base.resolve("guests/dmua/.union.next");
        fs.mount(stack(dir("templates/dmut/dmua"), base.resolve("guests/dmua/work/1"), master), stage);

        OverlayUnionFs afterRestart = new OverlayUnionFs();
        List<Path> stale = afterRestart.mountsUnder(base);

        assertEquals(List.of(stage, base.resolve("guests/dmub/union"), base.resolve("guests/dmua/union")), stale);
        afterRestart.unmount(base.resolve("guests/dmua/union"));
        assertFalse("staging leftovers go with the union", Files.exists(stage));
        afterRestart.unmount(base.resolve("guests/dmub/union"));
        assertEquals(List.of(), afterRestart.mountsUnder(base));
    }

    @Test
    public void missingLayerFailsWithItsPathAndLeavesNothing() throws IOException {
        Path diff = dir("guests/dmua/diff");
        Path missing = base.resolve("masters/nomaster");
        Path union = base.resolve("guests/dmux/union");
        Path work = base.resolve("guests/dmux/work/0");

        DummException e = expectFailure(() -> fs.mount(stack(diff, work, missing), union));

        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage(), e.getMessage().contains(missing.toString()));
        assertFalse(Files.exists(base.resolve("guests/dmux")));
        assertEquals(List.of(), fs.mountsUnder(base));
        DummException upper = expectFailure(() -> fs.mount(stack(base.resolve("guests/dmux/diff"), work, diff), union));
        assertEquals(Reason.NOT_FOUND, upper.reason());
        assertTrue(upper.getMessage(), upper.getMessage().contains("guests/dmux/diff"));
    }

    @Test
    public void kernelRefusalLeavesNoDirectoriesOrMounts() throws IOException {
        Path master = master();
        Path unionA = base.resolve("guests/dmua/union");
        fs.mount(stack(dir("guests/dmua/diff"), base.resolve("guests/dmua/work/0"), master), unionA);
        // overlayfs does not accept an overlay as upper filesystem: the kernel refuses
        Path upperOnOverlay = Files.createDirectories(unionA.resolve("u"));
        Path union = base.resolve("guests/dmuh/union");

        DummException e = expectFailure(() -> fs.mount(stack(upperOnOverlay, unionA.resolve("w/0"), master), union));

        assertEquals(Reason.INVALID_ARGUMENT, e.reason());
        assertTrue(e.getMessage(), e.getMessage().startsWith("mounting overlay at " + union + ": EINVAL"));
        assertFalse(Files.exists(base.resolve("guests/dmuh")));
        assertFalse(Files.exists(unionA.resolve("w")));
        assertEquals(List.of(unionA), fs.mountsUnder(base));
    }

    @Test
    public void pathsTheOptionStringCannotCarryAreRefused() throws IOException {
        Path master = master();
        Path diff = dir("guests/dmua/diff");
        Path union = base.resolve("guests/dmua/union");
        Path work = base.resolve("guests/dmua/work/0");
        for (String bad : List.of("lower:colon", "lower,comma")) {
            Path lower = dir(bad);
            DummException e = expectFailure(() -> fs.mount(stack(diff, work, lower, master), union));
            assertEquals(Reason.INVALID_ARGUMENT, e.reason());
            assertTrue(e.getMessage(), e.getMessage().contains("overlay mount options cannot carry"));
        }
        DummException relative = expectFailure(() -> fs.mount(stack(diff, work, Path.of("masters/dmubox")), union));
        assertTrue(relative.getMessage(), relative.getMessage().contains("not absolute"));
        DummException empty = expectFailure(() -> fs.mount(stack(diff, work), union));
        assertEquals(Reason.INVALID_ARGUMENT, empty.reason());
        DummException overlap = expectFailure(() -> fs.mount(stack(diff, diff.resolve("w"), master), union));
        assertTrue(overlap.getMessage(), overlap.getMessage().contains("overlap"));

        List<Path> many = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            many.add(dir(String.format("%03d-%s", i, "l".repeat(200))));
        }
        many.add(master);
        DummException tooLong = expectFailure(() -> fs.mount(new LayerStack(many, diff, work), union));
        assertEquals(Reason.INVALID_ARGUMENT, tooLong.reason());
        assertTrue(tooLong.getMessage(), tooLong.getMessage().contains("at most 4095"));
        assertFalse(Files.exists(union));
        assertFalse(Files.exists(work.getParent()));
        assertEquals(List.of(), fs.mountsUnder(base));
    }

    @Test
    public void spacesInPathsRoundTripThroughMountinfo() throws IOException {
        Path master = dir("my master");
        write(master.resolve("f"), "x");
        Path diff = dir("guest one/diff");
        Path union = base.resolve("guest one/union");
        LayerStack s = stack(diff, base.resolve("guest one/work/0"), master);

        fs.mount(s, union);

        assertTrue(fs.isMounted(union));
        assertFalse("a directory inside the overlay is not where it is mounted", fs.isMounted(union.resolve("etc")));
        assertFalse(fs.isMounted(base.resolve("guests/dmua/absent")));
        assertFalse(fs.isMounted(union.resolve("etc/hostname/x"))); // ENOTDIR
        assertNotNull("paths the kernel escapes: the whole table is read", MountTable.readAbout(union).top(union));
        assertEquals(s, fs.stackAt(union));
        assertEquals(List.of(union), fs.mountsUnder(base));
        assertEquals("x", read(union.resolve("f")));
    }

    @Test
    public void workDirsAreCleanedOrRefused() throws IOException {
        Path master = master();
        Path diff = dir("guests/dmua/diff");
        Path union = base.resolve("guests/dmua/union");
        Path workBase = dir("guests/dmua/work");
        // what a crashed overlay leaves: work/work with mode 000 and a stale whiteout inside
        Path stale = dir("guests/dmua/work/0/work/inner");
        Native.check(Native.libc().mknod(stale.resolve("#1").toString(), Mounts.S_IFCHR, 0), "mknod");
        Files.setPosixFilePermissions(stale, java.util.Set.of());
        Files.setPosixFilePermissions(stale.getParent(), java.util.Set.of());
        dir("guests/dmua/work/7/work");

        fs.mount(stack(diff, workBase.resolve("0"), master), union);
        assertTrue(fs.isMounted(union));
        assertFalse("stale generations are removed on a first mount", Files.exists(workBase.resolve("7")));

        // a work dir in use by the mounted stack cannot serve a new one
        DummException inUse = expectFailure(() -> fs.switchStack(union, stack(diff, workBase.resolve("0"), master)));
        assertEquals(Reason.INVALID_STATE, inUse.reason());
        Path diffB = dir("guests/dmub/diff");
        DummException other = expectFailure(() -> fs.mount(stack(diffB, workBase.resolve("0"), master),
                base.resolve("guests/dmub/union")));
        assertEquals(Reason.INVALID_STATE, other.reason());
        assertTrue(other.getMessage(), other.getMessage().contains("in use by the overlay at " + union));
        // a work dir with foreign content is not wiped
        Path foreign = dir("guests/dmub/work/0");
        write(foreign.resolve("notes.txt"), "mine");
        DummException notWork = expectFailure(() -> fs.mount(stack(diffB, foreign, master),
                base.resolve("guests/dmub/union")));
        assertEquals(Reason.INVALID_STATE, notWork.reason());
        assertEquals("mine", read(foreign.resolve("notes.txt")));
        // the same upper cannot be mounted twice
        Path workC = dir("guests/dmuc/work").resolve("0");
        DummException twice = expectFailure(() -> fs.mount(stack(diff, workC, master),
                base.resolve("guests/dmuc/union")));
        assertTrue(twice.getMessage(), twice.getMessage().contains("upper layer " + diff + " is in use"));
        assertEquals(List.of(union), fs.mountsUnder(base));
    }

    @Test
    public void busyUnmountDetachesLazily() throws Exception {
        Path master = master();
        Path union = base.resolve("guests/dmua/union");
        Path work = base.resolve("guests/dmua/work/0");
        fs.mount(stack(dir("guests/dmua/diff"), work, master), union);
        Process p = holdCwd(union);

        fs.unmount(union);

        assertFalse(fs.isMounted(union));
        assertTrue(p.isAlive());
        assertEquals("the holder still reads the detached stack", "master\n",
                read(Path.of("/proc/" + p.pid() + "/cwd/etc/hostname")));
        assertTrue("a busy stack keeps its work dir", Files.exists(work));
        assertEquals(List.of(), fs.mountsUnder(base));
    }

    @Test
    public void foreignMountsAreLeftAlone() throws IOException {
        Path other = dir("guests/dmua/union");
        Native.check(Native.libc().mount("dmu-uft", other.toString(), "tmpfs", 0, "size=1m"), "mount tmpfs");
        otherMounts.add(other);

        DummException e = expectFailure(() -> fs.unmount(other));

        assertEquals(Reason.NOT_OWNED, e.reason());
        MountInfo still = MountTable.read().top(other);
        assertNotNull(still);
        assertEquals("tmpfs", still.fsType());
        assertFalse(fs.isMounted(other));
        Path diff = dir("guests/dmua/diff");
        Path master = master();
        DummException onTop = expectFailure(() -> fs.mount(stack(diff, base.resolve("guests/dmua/work/0"), master), other));
        assertEquals(Reason.INVALID_STATE, onTop.reason());
        try {
            fs.switchStack(other, stack(diff, base.resolve("guests/dmua/work/1"), master));
            fail("switched a foreign mount");
        } catch (DummException expected) {
            assertEquals(Reason.NOT_OWNED, expected.reason());
        }
    }
}
