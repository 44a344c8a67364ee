// The plugin the host bench loads: a pre-auth hook that lets everything pass.
// Launched by the host (it sets the magic cookie); not meant to be run by hand.
import { BasePlugin, serve, pass } from '@plugboard/sdk'

class Echo extends BasePlugin {
  manifest = { id: 'bench-echo', name: 'Bench echo', version: '0.0.0' }
  preAuth() {
    return pass()
  }
}

await serve(new Echo())
