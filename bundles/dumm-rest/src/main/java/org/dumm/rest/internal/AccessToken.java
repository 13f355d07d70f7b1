package org.dumm.rest.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The secret every REST and event-stream request must carry as {@code Authorization: Bearer
 * TOKEN}: 32 random bytes in hex, made at the first start and kept in a file of mode 0600
 * (by default {@code etc/dumm-rest.token}, beside Karaf's SSH host key). The file is created
 * with its mode at once, never widened; a token in it that is too short is refused.
 */
@Component(service = AccessToken.class, configurationPid = "org.dumm.rest")
@Designate(ocd = AccessToken.Config.class)
public final class AccessToken {

    @ObjectClassDefinition(name = "Dumm REST", description = "Token of the REST API and web UI")
    public @interface Config {
        @AttributeDefinition(description = "File holding the access token; empty for ${karaf.etc}/dumm-rest.token")
        String tokenFile() default "";
    }

    static final String FILE_NAME = "dumm-rest.token";
    private static final int MIN_LENGTH = 32;

    private final byte[] secret;
    private final Path file;

    private AccessToken(Path file, String secret) {
        this.file = file;
        this.secret = secret.getBytes(StandardCharsets.US_ASCII);
    }

    @Activate
    public AccessToken(Config config) {
        this(config.tokenFile().isBlank() ? defaultFile() : Path.of(config.tokenFile()));
    }

    /** The token in {@code file}, made there first if the file does not exist. */
    AccessToken(Path file) {
        this(file, load(file));
    }

    /** The token in {@code file}, made there first if the file does not exist. */
    private static String load(Path file) {
        try {
            if (!Files.exists(file)) {
                create(file);
            }
            String t = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (t.length() < MIN_LENGTH || !t.chars().allMatch(c -> c > ' ' && c < 127)) {
                throw new IllegalStateException("token file " + file + " holds no usable token (at least "
                        + MIN_LENGTH + " printable characters); delete it to have a new one made");
            }
            return t;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create the REST token " + file, e);
        }
    }

    /** The default place: {@code ${karaf.etc}/dumm-rest.token}. */
    static Path defaultFile() {
        String etc = System.getProperty("karaf.etc");
        if (etc == null) {
            String base = System.getProperty("karaf.base", ".");
            etc = Path.of(base, "etc").toString();
        }
        return Path.of(etc, FILE_NAME);
    }

    private static void create(Path file) throws IOException {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        String token = HexFormat.of().formatHex(raw);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, token + "\n", StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
        try {
            Files.createLink(file, tmp);   // fails when another start made it meanwhile: theirs wins
        } catch (FileAlreadyExistsException e) {
            // keep the existing one
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    Path file() {
        return file;
    }

    /** The token text (for tests and for {@code ./dumm web}, which reads the file itself). */
    String value() {
        return new String(secret, StandardCharsets.US_ASCII);
    }

    /** True when {@code header} is {@code Bearer <the token>}; compared in constant time. */
    boolean admits(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] given = header.substring(7).strip().getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(given, secret);
    }
}
