#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { UsageGuard } from './usage-guard.js'

await serve(new UsageGuard())
