package org.dumm.shell.command;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "dumm", name = "connect", description = "Connects a guest interface to a bridge, live")
public class ConnectCommand extends MeshCommand {

    @Argument(index = 0, name = "guest", required = true)
    @Completion(GuestNameCompleter.class)
    String guest;

    @Argument(index = 1, name = "iface", required = true)
    @Completion(IfaceNameCompleter.class)
    String iface;

    @Argument(index = 2, name = "bridge", required = true)
    @Completion(BridgeNameCompleter.class)
    String bridge;

    @Override
    public Object execute() {
        mesh.connect(guest, iface, bridge);
        System.out.println(guest + "/" + iface + " connected to " + bridge);
        return null;
    }
}
