package org.dumm.shell.command;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;
import org.dumm.api.Guest;

@Service
@Command(scope = "dumm", name = "guest-list", description = "Lists guests")
public class GuestListCommand extends MeshCommand {


    @Argument(index = 0, name = "options", description = "Options may also follow the arguments", multiValued = true)
    List<String> trailing;
    @Option(name = "--json", description = "JSON for scripts")
    boolean json;

    @Override
    public Object execute() {
        TrailingOptions.applyAll(this, trailing);
        List<Guest> guests = mesh.guests();
        if (json) {
            System.out.println(Views.json(guests.stream().map(Views::guest).toList()));
            return null;
        }
        ShellTable table = new ShellTable();
        table.column("Name");
        table.column("State");
        table.column("Pid");
        table.column("Mem");
        table.column("Master");
        table.column("Interfaces");
        for (Guest g : guests) {
            table.addRow().addContent(g.name(), g.state().name().toLowerCase(), g.pid() == 0 ? "-" : g.pid(),
                    g.memoryMb() + "M", g.master(),
                    Views.join(g.interfaces().stream().map(i -> i.name() + (i.bridge() == null ? "" : "@" + i.bridge())).toList()));
        }
        table.print(System.out);
        return null;
    }
}
