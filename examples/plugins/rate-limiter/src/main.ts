#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { RateLimiter } from './rate-limiter.js'

await serve(new RateLimiter())
