package org.dumm.shell.command;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.FileCompleter;
import org.apache.karaf.shell.support.table.ShellTable;
import org.dumm.api.CommandLine;
import org.dumm.api.DummException;
import org.dumm.api.Master;
import org.dumm.api.MasterRequest;

/** The master-* commands. */
public final class MasterCommands {

    private MasterCommands() {
    }

    @Service
    @Command(scope = "dumm", name = "master-create", description = "Builds a master root filesystem")
    public static class Create extends MeshCommand {
        @Argument(index = 0, name = "name", required = true)
        String name;

        @Argument(index = 1, name = "options", description = "Options may also follow the arguments", multiValued = true)
        List<String> trailing;

        @Option(name = "--busybox", description = "From Debian's busybox-static (seconds)")
        boolean busybox;

        @Option(name = "--debootstrap", description = "A Debian minbase of this suite (minutes)")
        String suite;

        @Option(name = "--include", description = "Extra Debian packages, comma separated")
        String include;

        @Option(name = "--mirror", description = "Debian mirror URL (default: the host's apt source for the suite, else debootstrap's)")
        String mirror;

        @Override
        public Object execute() {
            TrailingOptions.applyAll(this, trailing);
            if (busybox && mirror != null) {
                throw new DummException(DummException.Reason.INVALID_ARGUMENT, "--mirror goes with --debootstrap");
            }
            if (busybox == (suite != null)) {
                throw new DummException(DummException.Reason.INVALID_ARGUMENT, "give exactly one of --busybox or --debootstrap SUITE");
            }
            List<String> packages = include == null || include.isBlank() ? List.of() : Arrays.asList(include.split(","));
            MasterRequest request = busybox
                    ? new MasterRequest(name, MasterRequest.Kind.BUSYBOX, null, packages)
                    : new MasterRequest(name, MasterRequest.Kind.DEBOOTSTRAP, suite, packages, mirror);
            Master m = mesh.createMaster(request, line -> System.out.println(line));
            System.out.println("master " + m.name() + " created in " + m.path());
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "master-list", description = "Lists master root filesystems")
    public static class ListMasters extends MeshCommand {
        @Option(name = "--json", description = "JSON for scripts")
        boolean json;

        @Override
        public Object execute() {
            List<Master> masters = mesh.masters();
            if (json) {
                System.out.println(Views.json(masters));
                return null;
            }
            ShellTable table = new ShellTable();
            table.column("Name");
            table.column("Kind");
            table.column("Size");
            table.column("Path");
            for (Master m : masters) {
                table.addRow().addContent(m.name(), m.kind(), (m.sizeBytes() >> 20) + " MB", m.path());
            }
            table.print(System.out);
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "master-import", description = "Registers a copy of an existing root (directory or tarball) as a master")
    public static class Import extends MeshCommand {
        @Argument(index = 0, name = "name", required = true)
        String name;

        @Argument(index = 1, name = "source", required = true, description = "A root directory, or a tarball such as docker export writes")
        @Completion(FileCompleter.class)
        String source;

        @Override
        public Object execute() {
            Master m = mesh.importMaster(name, Path.of(source).toAbsolutePath(), line -> System.out.println(line));
            System.out.println("master " + m.name() + " imported into " + m.path());
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "master-delete", description = "Deletes a master no guest is defined on")
    public static class Delete extends MeshCommand {
        @Argument(index = 0, name = "name", required = true)
        @Completion(MasterNameCompleter.class)
        String name;

        @Override
        public Object execute() {
            mesh.deleteMaster(name);
            System.out.println("master " + name + " deleted");
            return null;
        }
    }

    @Service
    @Command(scope = "dumm", name = "master-exec", description = "Runs a command chrooted into a master while none of its guests runs")
    public static class Exec extends MeshCommand {
        @Argument(index = 0, name = "name", required = true)
        @Completion(MasterNameCompleter.class)
        String name;

        @Argument(index = 1, name = "command", required = true, multiValued = true,
                description = "One word: a shell command line; several: one argument each")
        List<String> command;

        @Override
        public Object execute() {
            int status = mesh.execInMaster(name, CommandLine.of(command), line -> System.out.println(line));
            if (status != 0) {
                throw new DummException(DummException.Reason.GUEST_FAILURE, "command exited with status " + status);
            }
            return null;
        }
    }
}
