package org.dumm.core.internal;

import static org.junit.Assert.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.After;
import org.junit.Before;
import org.junit.Test;

/** The mirror debootstrap gets is the one apt itself would use for that suite's main. */
public class AptSourcesTest {

    private Path etcApt;

    @Before
    public void setUp() throws Exception {
        etcApt = Files.createTempDirectory("dmm-apt");
        Files.createDirectories(etcApt.resolve("sources.list.d"));
    }

    @After
    public void tearDown() {
        MasterStore.deleteTree(etcApt);
    }

    private void write(String name, String text) throws Exception {
        Files.writeString(etcApt.resolve(name), text);
    }

    @Test
    public void filesAptIgnoresAndThirdPartySuitesAreNotTaken() throws Exception {
        // what this kind of machine has: a disabled .list, a deb822 third-party source, Debian's own
        write("sources.list.d/google-cloud-sdk.list.disabled-by-farm", "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n");
        write("sources.list.d/aaa-nodesource.sources", """
                Types: deb
                URIs: https://deb.nodesource.com/node_20.x
                Suites: nodistro
                Components: main
                """);
        write("sources.list.d/debian.sources", """
                Types: deb
                # http://snapshot.debian.org/archive/debian/20250520T000000Z
                URIs: http://deb.debian.org/debian
                Suites: bookworm bookworm-updates
                Components: main
                Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

                Types: deb
                URIs: http://deb.debian.org/debian-security
                Suites: bookworm-security
                Components: main
                """);
        assertEquals(Optional.of("http://deb.debian.org/debian"), AptSources.mirrorFor("bookworm", etcApt));
        assertEquals(Optional.of("http://deb.debian.org/debian-security"), AptSources.mirrorFor("bookworm-security", etcApt));
        // no enabled entry serves trixie: debootstrap's own default then
        assertEquals(Optional.empty(), AptSources.mirrorFor("trixie", etcApt));
    }

    @Test
    public void oneLineEntriesWithOptionsCommentsAndDisabledStanzas() throws Exception {
        write("sources.list", """
                # deb http://commented.example/debian bookworm main
                deb-src http://src.example/debian bookworm main
                deb [arch=amd64 signed-by=/k.gpg] http://contrib-only.example/debian bookworm contrib non-free
                deb [arch=amd64] http://mirror.example/debian bookworm main contrib # trailing comment
                """);
        write("sources.list.d/off.sources", """
                Types: deb
                URIs: http://disabled.example/debian
                Suites: trixie
                Components: main
                Enabled: no
                """);
        write("sources.list.d/multi.sources", """
                Types: deb deb-src
                URIs: http://first.example/debian
                 http://second.example/debian
                Suites: trixie
                Components: main
                """);
        assertEquals(Optional.of("http://mirror.example/debian"), AptSources.mirrorFor("bookworm", etcApt));
        assertEquals(Optional.of("http://first.example/debian"), AptSources.mirrorFor("trixie", etcApt));
        // contrib-only, mirror, first and second: deb-src, disabled and commented entries are not read
        assertEquals(4, AptSources.read(etcApt).size());
    }
}
