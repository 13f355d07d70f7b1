package org.dumm.templates.internal;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.dumm.templates.internal.Fixture.write;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.dumm.api.DummConfig;
import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Template;
import org.dumm.api.TemplateDiff;
import org.dumm.api.spi.GuestRoot;
import org.dumm.api.spi.LayerStack;
import org.dumm.api.spi.UnionFs;
import org.dumm.unionfs.internal.OverlayUnionFs;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** TemplateStore on real overlay mounts under /tmp/dmu-tpl-*. */
public class FileTemplateStoreTest {

    private final UnionFs unionFs = new OverlayUnionFs();
    private Fixture fx;
    private FileTemplateStore store;
    private GuestRoot alice;
    private GuestRoot bob;

    @Before
    public void setUp() throws IOException {
        fx = new Fixture("dmu-tpl-", unionFs);
        Path m = fx.master("dmubox");
        write(m.resolve("etc/hostname"), "master\n");
        write(m.resolve("etc/motd"), "welcome\n");
        write(m.resolve("probe"), "master-version\n");
        write(m.resolve("srv/www/index.html"), "<p>master</p>\n");
        write(m.resolve("srv/www/old.html"), "<p>old</p>\n");
        Files.createSymbolicLink(m.resolve("etc/link"), Path.of("hostname"));
        alice = fx.root("dmua", "dmubox");
        bob = fx.root("dmub", "dmubox");
        write(alice.diff().resolve("probe"), "diff-version\n");
        store = FileTemplateStore.at(fx.base, unionFs);
    }

    @After
    public void tearDown() throws IOException {
        assertEquals(List.of(), fx.tearDown());
    }

    private void mount(GuestRoot r) {
        unionFs.mount(store.stackFor(r), r.union());
    }

    private static DummException expectFailure(Runnable r) {
        try {
            r.run();
        } catch (DummException e) {
            return e;
        }
        throw new AssertionError("expected a DummException");
    }

    private static String read(Path p) throws IOException {
        return Files.readString(p, UTF_8);
    }

    @Test
    public void createListGetDelete() {
        assertEquals(List.of(), store.list());
        store.create("dmuscen");
        store.create("dmuother");
        Path layer = store.layerDir("dmuscen", "dmua");

        assertEquals(fx.base.resolve("templates/dmuscen/dmua"), layer);
        assertTrue(Files.isDirectory(layer));
        assertEquals(List.of(new Template("dmuother", List.of(), false), new Template("dmuscen", List.of("dmua"), false)),
                store.list());
        assertEquals(Optional.of(new Template("dmuscen", List.of("dmua"), false)), store.get("dmuscen"));
        assertEquals(Optional.empty(), store.get("dmunone"));

        store.delete("dmuscen");

        assertEquals(List.of("dmuother"), store.list().stream().map(Template::name).toList());
        assertFalse(Files.exists(fx.base.resolve("templates/dmuscen")));
    }

    @Test
    public void badNamesAndMissingTemplates() {
        for (String bad : List.of("", "Upper", "a/b", "..", "x y", "9lives", "a".repeat(33))) {
            DummException e = expectFailure(() -> store.create(bad));
            assertEquals(bad, Reason.INVALID_ARGUMENT, e.reason());
        }
        assertFalse(Files.exists(fx.base.resolve("templates")));
        store.create("dmuscen");
        assertEquals(Reason.ALREADY_EXISTS, expectFailure(() -> store.create("dmuscen")).reason());
        assertEquals(Reason.INVALID_ARGUMENT, expectFailure(() -> store.layerDir("dmuscen", "../etc")).reason());
        DummException missing = expectFailure(() -> store.delete("dmunone"));
        assertEquals(Reason.NOT_FOUND, missing.reason());
        assertEquals("template 'dmunone' does not exist", missing.getMessage());
        assertEquals(Reason.NOT_FOUND, expectFailure(() -> store.load("dmunone", List.of())).reason());
        assertEquals(Reason.NOT_FOUND, expectFailure(() -> store.layerDir("dmunone", "dmua")).reason());
        assertEquals(Reason.INVALID_STATE, expectFailure(() -> store.unload(List.of())).reason());
    }

    @Test
    public void stackForPutsTheTemplateOnTopOfTheDiff() throws IOException {
        Path boot = Files.createDirectories(fx.base.resolve("boot"));
        GuestRoot withBoot = new GuestRoot("dmua", alice.master(), alice.diff(), alice.workBase(), alice.union(), boot);

        assertEquals(new LayerStack(List.of(boot, alice.master()), alice.diff(), alice.workBase().resolve("0")),
                store.stackFor(withBoot));
        store.create("dmuscen");
        store.load("dmuscen", List.of());
        assertEquals(new LayerStack(List.of(boot, alice.diff(), alice.master()),
                fx.base.resolve("templates/dmuscen/dmua"), alice.workBase().resolve("0")), store.stackFor(withBoot));
        store.unload(List.of());
    }

    @Test
    public void loadRecordsIntoTheTemplateAndUnloadReturnsToTheDiff() throws IOException {
        mount(alice);
        mount(bob);
        write(alice.union().resolve("etc/before"), "in diff\n");
        store.create("dmuscen");
        write(store.layerDir("dmuscen", "dmua").resolve("probe"), "template-version\n");

        Template t = store.load("dmuscen", List.of(alice, bob));

        assertEquals(new Template("dmuscen", List.of("dmua", "dmub"), true), t);
        assertEquals(Optional.of("dmuscen"), store.loaded());
        assertEquals("template-version\n", read(alice.union().resolve("probe")));
        assertEquals("in diff\n", read(alice.union().resolve("etc/before")));
        // writes and deletions are recorded in the template layer
        write(alice.union().resolve("etc/scenario.conf"), "recorded\n");
        Files.delete(alice.union().resolve("etc/motd"));
        Path layer = fx.base.resolve("templates/dmuscen/dmua");
        assertEquals("recorded\n", read(layer.resolve("etc/scenario.conf")));
        assertTrue(OverlayMarks.isWhiteout(layer.resolve("etc/motd")));
        assertFalse(Files.exists(alice.diff().resolve("etc/scenario.conf")));
        assertTrue(Files.exists(fx.master("dmubox").resolve("etc/motd")));
        // bob is untouched by alice's scenario
        assertEquals("welcome\n", read(bob.union().resolve("etc/motd")));
        // a store opened afresh (Karaf restart) knows what is loaded
        assertEquals(Optional.of("dmuscen"), FileTemplateStore.at(fx.base, unionFs).loaded());
        DummException refused = expectFailure(() -> store.delete("dmuscen"));
        assertEquals(Reason.INVALID_STATE, refused.reason());
        assertTrue(Files.isDirectory(layer));
        store.create("dmusecond");
        assertEquals(Reason.INVALID_STATE, expectFailure(() -> store.load("dmusecond", List.of(alice))).reason());

        store.unload(List.of(alice, bob));

        assertEquals(Optional.empty(), store.loaded());
        assertEquals(Optional.empty(), FileTemplateStore.at(fx.base, unionFs).loaded());
        assertEquals("diff-version\n", read(alice.union().resolve("probe")));
        assertEquals("welcome\n", read(alice.union().resolve("etc/motd")));
        assertFalse(Files.exists(alice.union().resolve("etc/scenario.conf")));
        assertEquals(alice.diff(), unionFs.stackAt(alice.union()).upper());
        // loading again brings the recorded scenario back
        store.load("dmuscen", List.of(alice, bob));
        assertEquals("recorded\n", read(alice.union().resolve("etc/scenario.conf")));
        store.unload(List.of(alice, bob));
        store.delete("dmuscen");
    }

    @Test
    public void failedSwitchRollsBackTheOnesDone() throws IOException {
        GuestRoot carol = fx.root("dmuc", "dmucbox");
        write(carol.master().resolve("probe"), "carol\n");
        mount(alice);
        mount(carol);
        store.create("dmuscen");
        LayerStack aliceBefore = unionFs.stackAt(alice.union());
        // carol's master vanishes under her running root: her new stack cannot be mounted
        Trees.delete(carol.master());

        DummException e = expectFailure(() -> store.load("dmuscen", List.of(alice, carol)));

        assertEquals(Reason.NOT_FOUND, e.reason());
        assertTrue(e.getMessage(), e.getMessage().contains(carol.master().toString()));
        assertEquals(Optional.empty(), store.loaded());
        LayerStack aliceAfter = unionFs.stackAt(alice.union());
        assertEquals(aliceBefore.lowers(), aliceAfter.lowers());
        assertEquals(aliceBefore.upper(), aliceAfter.upper());
        assertEquals("diff-version\n", read(alice.union().resolve("probe")));
        assertEquals("layers made for the failed load are gone", List.of(), store.get("dmuscen").orElseThrow().guests());
        assertEquals(Reason.INVALID_STATE, expectFailure(() -> store.load("dmuscen", List.of(bob))).reason());
    }

    @Test
    public void diffShowsAddedChangedAndDeletedIncludingOpaqueDirs() throws IOException {
        mount(alice);
        store.create("dmuscen");
        store.load("dmuscen", List.of(alice));
        Path u = alice.union();
        write(u.resolve("etc/added.conf"), "new\n");
        Files.createDirectories(u.resolve("opt/tool/bin"));
        write(u.resolve("etc/hostname"), "changed\n");
        write(u.resolve("probe"), "diff-version\n"); // rewritten with the same bytes: not a change
        Files.delete(u.resolve("etc/motd"));
        // replace a master directory: overlayfs records an opaque directory
        Files.delete(u.resolve("srv/www/index.html"));
        Files.delete(u.resolve("srv/www/old.html"));
        Files.delete(u.resolve("srv/www"));
        Files.createDirectory(u.resolve("srv/www"));
        write(u.resolve("srv/www/index.html"), "<p>new</p>\n");
        Path layer = fx.base.resolve("templates/dmuscen/dmua");
        assertTrue(OverlayMarks.isOpaque(layer.resolve("srv/www")));

        List<TemplateDiff> diff = store.diff("dmuscen", List.of(alice));

        assertEquals(1, diff.size());
        TemplateDiff d = diff.get(0);
        assertEquals("dmua", d.guest());
        assertEquals(List.of("/etc/added.conf", "/opt/", "/opt/tool/", "/opt/tool/bin/"), d.added());
        assertEquals(List.of("/etc/hostname", "/srv/www/index.html"), d.changed());
        assertEquals(List.of("/etc/motd", "/srv/www/old.html"), d.deleted());
        store.unload(List.of(alice));
    }

    @Test
    public void exportImportRoundTripKeepsWhiteoutsAndOpaqueDirs() throws Exception {
        mount(alice);
        store.create("dmuscen");
        store.load("dmuscen", List.of(alice));
        Path u = alice.union();
        write(u.resolve("etc/added.conf"), "new\n");
        Files.setPosixFilePermissions(u.resolve("etc/added.conf"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.delete(u.resolve("etc/motd"));
        Files.delete(u.resolve("srv/www/index.html"));
        Files.delete(u.resolve("srv/www/old.html"));
        Files.delete(u.resolve("srv/www"));
        Files.createDirectory(u.resolve("srv/www"));
        String deep = "d".repeat(90) + "/" + "e".repeat(90) + "/" + "f".repeat(120);
        write(u.resolve("srv/www/" + deep), "deep\n");
        Files.createSymbolicLink(u.resolve("etc/longlink"), Path.of("/" + "t".repeat(150)));
        store.unload(List.of(alice));
        Path archive = fx.base.resolve("dmuscen.tar.gz");

        store.export("dmuscen", archive);
        Template imported = store.importArchive("dmucopy", archive);

        assertEquals(new Template("dmucopy", List.of("dmua"), false), imported);
        Path copy = fx.base.resolve("templates/dmucopy/dmua");
        assertTrue(OverlayMarks.isWhiteout(copy.resolve("etc/motd")));
        assertTrue(OverlayMarks.isOpaque(copy.resolve("srv/www")));
        assertEquals("deep\n", read(copy.resolve("srv/www/" + deep)));
        assertEquals("rwxr-x---", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(copy.resolve("etc/added.conf"), LinkOption.NOFOLLOW_LINKS)));
        assertEquals(Path.of("/" + "t".repeat(150)), Files.readSymbolicLink(copy.resolve("etc/longlink")));
        assertEquals(store.diff("dmuscen", List.of(alice)), store.diff("dmucopy", List.of(alice)));
        // the imported template works as a layer: the whiteout hides the master's file
        store.load("dmucopy", List.of(alice));
        assertFalse(Files.exists(u.resolve("etc/motd")));
        assertEquals("the opaque dir hides the master's files", List.of("d".repeat(90)), LayerDiff.children(u.resolve("srv/www")));
        store.unload(List.of(alice));
        assertEquals(Reason.ALREADY_EXISTS, expectFailure(() -> store.importArchive("dmucopy", archive)).reason());
    }

    @Test
    public void gnuTarReadsTheArchiveAndItsArchivesImport() throws Exception {
        store.create("dmuscen");
        Path layer = store.layerDir("dmuscen", "dmua");
        write(layer.resolve("etc/x.conf"), "x\n");
        OverlayMarks.makeWhiteout(layer.resolve("etc/gone"));
        Path archive = fx.base.resolve("dmuscen.tar.gz");
        store.export("dmuscen", archive);

        Process list = new ProcessBuilder("tar", "-tzvf", archive.toString()).redirectErrorStream(true).start();
        String listing = new String(list.getInputStream().readAllBytes(), UTF_8);
        assertEquals(listing, 0, list.waitFor());
        assertTrue(listing, listing.contains("dmua/etc/.wh.gone"));
        assertTrue(listing, listing.contains("dmua/etc/x.conf"));

        // an archive made by GNU tar from that listing's files, with a name longer than 100 bytes
        Path src = Files.createDirectories(fx.base.resolve("gnu-src"));
        Files.copy(archive, src.resolve("a.tar.gz"));
        Process x = new ProcessBuilder("tar", "-xzf", "a.tar.gz").directory(src.toFile()).start();
        assertEquals(0, x.waitFor());
        Files.delete(src.resolve("a.tar.gz"));
        String longName = "dmua/" + "n".repeat(120) + "/" + "m".repeat(120);
        write(src.resolve(longName), "long\n");
        Path gnu = fx.base.resolve("gnu.tar.gz");
        Process c = new ProcessBuilder("tar", "--format=gnu", "-czf", gnu.toString(), ".dumm-template", "dmua")
                .directory(src.toFile()).redirectErrorStream(true).start();
        assertEquals(new String(c.getInputStream().readAllBytes(), UTF_8), 0, c.waitFor());

        store.importArchive("dmugnu", gnu);

        Path imported = fx.base.resolve("templates/dmugnu/dmua");
        assertEquals("long\n", read(imported.resolve(longName.substring(5))));
        assertTrue(OverlayMarks.isWhiteout(imported.resolve("etc/gone")));
        assertEquals("x\n", read(imported.resolve("etc/x.conf")));
    }

    @Test
    public void badArchivesAreRefusedAndLeaveNothing() throws IOException {
        Path notGzip = write(fx.base.resolve("plain.tar.gz"), "not an archive");
        DummException e = expectFailure(() -> store.importArchive("dmubad", notGzip));
        assertEquals(Reason.INVALID_ARGUMENT, e.reason());
        store.create("dmuscen");
        write(store.layerDir("dmuscen", "dmua").resolve("f"), "f");
        Path archive = fx.base.resolve("ok.tar.gz");
        store.export("dmuscen", archive);
        assertEquals(Reason.NOT_FOUND, expectFailure(() -> store.importArchive("dmubad", fx.base.resolve("none.tar.gz"))).reason());
        assertEquals(Reason.INVALID_ARGUMENT, expectFailure(() -> store.importArchive("Bad", archive)).reason());
        assertEquals(Reason.NOT_FOUND, expectFailure(() -> store.export("dmuscen", fx.base.resolve("no/dir/x.tar.gz"))).reason());
        // an archive whose member escapes with '..'
        Path evil = fx.base.resolve("evil.tar.gz");
        try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(evil))) {
            TarWriter w = new TarWriter(out);
            byte[] marker = "format=1\n".getBytes(UTF_8);
            w.add(TarEntry.file(".dumm-template", 0644, 0, 0, 0, marker.length), new java.io.ByteArrayInputStream(marker));
            w.add(TarEntry.file("dmua/../../escaped", 0644, 0, 0, 0, 1), new java.io.ByteArrayInputStream(new byte[] {'x'}));
            w.finish();
        }
        DummException escape = expectFailure(() -> store.importArchive("dmuevil", evil));
        assertTrue(escape.getMessage(), escape.getMessage().contains("'..'"));
        assertFalse(Files.exists(fx.base.resolve("escaped")));
        assertEquals(List.of("dmuscen"), store.list().stream().map(Template::name).toList());
        try (var s = Files.list(fx.base.resolve("templates"))) {
            assertEquals("no import leftovers", List.of("dmuscen"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    public void workDirComesFromConfigOrKarafData() {
        assertEquals(Path.of("/srv/dumm"), FileTemplateStore.workDir(Map.of(DummConfig.WORK_DIR, "/srv/dumm")));
        String old = System.getProperty("karaf.data");
        try {
            System.setProperty("karaf.data", "/opt/karaf/data");
            assertEquals(Path.of("/opt/karaf/data/dumm"), FileTemplateStore.workDir(Map.of()));
        } finally {
            if (old == null) {
                System.clearProperty("karaf.data");
            } else {
                System.setProperty("karaf.data", old);
            }
        }
    }
}
