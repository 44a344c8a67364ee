#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { RateLimitDashboard } from './rate-limit-dashboard.js'

await serve(new RateLimitDashboard())
