package org.dumm.shell.command;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.apache.karaf.shell.api.action.Command;
import org.junit.Test;

/**
 * {@code help dumm} prints OSGI-INF/shell-dumm.info, written by hand: it must name every dumm:*
 * command of this bundle and no other, and each command needs a description for Karaf's lists.
 */
public class ShellDummInfoTest {

    @Test
    public void theGroupedHelpNamesExactlyTheCommandsThereAre() throws Exception {
        Set<String> commands = dummCommands();
        assertFalse(commands.isEmpty());
        assertEquals("OSGI-INF/shell-dumm.info is out of date", commands, namedInInfo());
    }

    @Test
    public void everyCommandHasADescription() throws Exception {
        for (Class<?> c : commandClasses()) {
            Command command = c.getAnnotation(Command.class);
            assertTrue(c.getName() + " has no description", command.description().length() > 10);
        }
    }

    /** Names of the dumm-scope commands, from the compiled classes of this package. */
    static Set<String> dummCommands() throws Exception {
        Set<String> names = new TreeSet<>();
        for (Class<?> c : commandClasses()) {
            Command command = c.getAnnotation(Command.class);
            if (command.scope().equals("dumm")) {
                names.add(command.name());
            }
        }
        return names;
    }

    static Set<Class<?>> commandClasses() throws IOException, URISyntaxException, ClassNotFoundException {
        Path dir = Path.of(MeshCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(MeshCommand.class.getPackageName().replace('.', '/'));
        Set<Class<?>> classes = new java.util.HashSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String file = f.getFileName().toString();
                if (file.endsWith(".class")) { // nested too: TemplateCommands holds several
                    Class<?> c = Class.forName(MeshCommand.class.getPackageName() + "." + file.substring(0, file.length() - 6));
                    if (c.isAnnotationPresent(Command.class)) {
                        classes.add(c);
                    }
                }
            }
        }
        return classes;
    }

    /** The first word of each column of the indented command lines (continuations start with a bracket). */
    private static Set<String> namedInInfo() throws IOException {
        Set<String> names = new TreeSet<>();
        try (InputStream in = ShellDummInfoTest.class.getResourceAsStream("/OSGI-INF/shell-dumm.info")) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.startsWith("    ")) {
                    continue;
                }
                for (String column : line.trim().split("\\s{2,}")) {
                    String first = column.split("\\s+")[0];
                    if (first.matches("[a-z][a-z-]*")) {
                        names.add(first);
                    }
                }
            }
        }
        return names;
    }
}
