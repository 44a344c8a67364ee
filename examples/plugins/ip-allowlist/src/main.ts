#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { IpAllowList } from './ip-allowlist.js'

await serve(new IpAllowList())
