package org.dumm.shell.command;

import java.util.Arrays;
import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
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

        @Override
        public Object execute() {
            TrailingOptions.applyAll(this, trailing);
            if (busybox == (suite != null)) {
                throw new DummException(DummException.Reason.INVALID_ARGUMENT, "give exactly one of --busybox or --debootstrap SUITE");
            }
            List<String> packages = include == null || include.isBlank() ? List.of() : Arrays.asList(include.split(","));
            MasterRequest request = busybox
                    ? new MasterRequest(name, MasterRequest.Kind.BUSYBOX, null, packages)
                    : new MasterRequest(name, MasterRequest.Kind.DEBOOTSTRAP, suite, packages);
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
}
