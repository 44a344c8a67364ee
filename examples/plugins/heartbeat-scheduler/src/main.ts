#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { HeartbeatScheduler } from './heartbeat-scheduler.js'

await serve(new HeartbeatScheduler())
