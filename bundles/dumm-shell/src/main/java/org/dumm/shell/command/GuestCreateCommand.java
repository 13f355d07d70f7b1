package org.dumm.shell.command;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.dumm.api.DummException;
import org.dumm.api.Guest;
import org.dumm.api.GuestDefinition;

@Service
@Command(scope = "dumm", name = "guest-create", description = "Defines a new guest (stopped)")
public class GuestCreateCommand extends MeshCommand {

    @Argument(index = 0, name = "name", description = "Guest name: [a-z][a-z0-9_-]*", required = true)
    String name;


    @Argument(index = 1, name = "options", description = "Options may also follow the arguments", multiValued = true)
    List<String> trailing;
    @Option(name = "--kernel", description = "Kernel executable (default from org.dumm.cfg)")
    @Completion(FileCompleter.class)
    String kernel;

    @Option(name = "--master", description = "Master root filesystem name")
    @Completion(MasterNameCompleter.class)
    String master;

    @Option(name = "--mem", description = "Memory, e.g. 64M or 1G (default 64M)")
    String memory;

    @Option(name = "--args", description = "Extra kernel arguments, space separated")
    String args;

    @Option(name = "--backend", description = "Guest backend (default uml)")
    String backend;

    @Option(name = "--modules", description = "Host directory of the kernel's modules, or 'none' (default: found for the "
            + "kernel; Debian's linux.uml has them in /usr/lib/uml/modules/RELEASE)")
    @Completion(FileCompleter.class)
    String modules;

    @Override
    public Object execute() {
        TrailingOptions.applyAll(this, trailing);
        List<String> extra = args == null || args.isBlank() ? List.of() : Arrays.asList(args.trim().split("\\s+"));
        Guest g = mesh.createGuest(new GuestDefinition(name, backend, kernel, master, parseMemory(memory), extra, modules));
        System.out.println("guest " + g.name() + " created (" + g.memoryMb() + "M, master " + g.master() + ", " + g.backend() + ")");
        return null;
    }

    /** "64M", "1G", "512" (MiB) → MiB; 0 when not given. */
    static int parseMemory(String text) {
        if (text == null) {
            return 0;
        }
        String t = text.trim().toUpperCase(Locale.ROOT);
        String bad = "memory '" + text + "' is invalid: use a positive size like 64M or 1G";
        if (!t.matches("[0-9]+[MG]?")) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT, bad);
        }
        long value;
        try {
            value = Long.parseLong(t.replaceAll("[MG]", ""));
        } catch (NumberFormatException e) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT, bad);
        }
        if (t.endsWith("G")) {
            value *= 1024;
        }
        if (value <= 0 || value > Integer.MAX_VALUE) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT, bad);
        }
        return (int) value;
    }
}
