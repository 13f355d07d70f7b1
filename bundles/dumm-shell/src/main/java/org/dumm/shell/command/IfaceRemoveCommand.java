package org.dumm.shell.command;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "dumm", name = "iface-remove", description = "Removes an interface (unplugged live, TAP deleted)")
public class IfaceRemoveCommand extends MeshCommand {

    @Argument(index = 0, name = "guest", required = true)
    @Completion(GuestNameCompleter.class)
    String guest;

    @Argument(index = 1, name = "iface", required = true)
    @Completion(IfaceNameCompleter.class)
    String iface;

    @Override
    public Object execute() {
        mesh.removeInterface(guest, iface);
        System.out.println(guest + "/" + iface + " removed");
        return null;
    }
}
