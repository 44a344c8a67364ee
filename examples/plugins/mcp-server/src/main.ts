#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { McpServerPlugin } from './mcp-server.js'

await serve(new McpServerPlugin())
