#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { EchoAgent } from './echo-agent.js'

await serve(new EchoAgent())
