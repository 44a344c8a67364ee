#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { ResponseCache } from './response-cache.js'

await serve(new ResponseCache())
