// Command pause is the process of the local test cluster's pod sandboxes: it holds a pod's
// namespaces open until the runtime stops it. No registry can be reached on the machines this
// runs on, so registry.k8s.io/pause is replaced by this program in an image made locally
// (scripts/k8s-cluster.sh build).
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if os.Getpid() != 1 {
		os.Stderr.WriteString("pause: warning: not running as PID 1\n")
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		// With a shared PID namespace the sandbox is every container's init: reap orphans.
		for {
			pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
