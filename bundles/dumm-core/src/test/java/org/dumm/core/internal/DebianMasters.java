package org.dumm.core.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;

import org.dumm.api.Mesh;
import org.dumm.api.MasterRequest;

/**
 * The Debian master the tests boot, built by {@code master-create --debootstrap} the first time
 * and kept as a tarball outside the clone, keyed by what it is built from (suite, package list,
 * the UML-readiness recipe), so a CI run imports it in seconds instead of debootstrapping for
 * minutes; an empty cache is rebuilt. The cache directory is {@code $DUMM_CACHE/masters}
 * (default {@code /var/cache/dumm-ci}).
 */
final class DebianMasters {

    static final String SUITE = "bookworm";
    /** What the strongSwan testbed needs, Debian's own packages. */
    static final List<String> PACKAGES = List.of("systemd-sysv", "iptables", "tcpdump", "iproute2", "iputils-ping",
            "strongswan-swanctl", "charon-systemd", "libstrongswan-standard-plugins");

    private DebianMasters() {
    }

    static Path cacheDir() {
        String base = System.getenv().getOrDefault("DUMM_CACHE", "/var/cache/dumm-ci");
        return Path.of(base, "masters");
    }

    /** sha256 of the suite, the sorted package list (with the base packages) and the recipe. */
    static String key() {
        TreeSet<String> pkgs = new TreeSet<>(DebianMasterBuilder.BASE_PACKAGES);
        pkgs.addAll(PACKAGES);
        String what = SUITE + "\n" + String.join(",", pkgs) + "\n" + DebianMasterBuilder.RECIPE + "\n";
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(what.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Makes master {@code name} in the mesh: imported from the cache, else built and then cached. */
    static void provide(Mesh mesh, String name) throws IOException, InterruptedException {
        Path tarball = cacheDir().resolve("debian-" + SUITE + "-" + key() + ".tar.gz");
        if (Files.isRegularFile(tarball)) {
            long t0 = System.nanoTime();
            mesh.importMaster(name, tarball, line -> { });
            System.out.printf("Debian master imported from %s in %d ms%n", tarball, (System.nanoTime() - t0) / 1_000_000);
            return;
        }
        long t0 = System.nanoTime();
        mesh.createMaster(new MasterRequest(name, MasterRequest.Kind.DEBOOTSTRAP, SUITE, PACKAGES),
                line -> System.out.println("master " + name + ": " + line));
        System.out.printf("Debian master built in %d s (cache %s was empty)%n", (System.nanoTime() - t0) / 1_000_000_000L, tarball);
        Path dir = Path.of(mesh.masters().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow().path());
        Files.createDirectories(cacheDir());
        Path partial = cacheDir().resolve(tarball.getFileName() + ".partial");
        Process tar = new ProcessBuilder("tar", "-czf", partial.toString(), "--numeric-owner", "--xattrs", "-C", dir.toString(), ".")
                .inheritIO().start();
        if (tar.waitFor() != 0) {
            Files.deleteIfExists(partial);
            throw new IOException("caching the Debian master failed");
        }
        Files.move(partial, tarball, StandardCopyOption.ATOMIC_MOVE);
        // masters of earlier recipes or package lists are of no use any more
        try (var old = Files.list(cacheDir())) {
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith("debian-") && !p.equals(tarball)).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
