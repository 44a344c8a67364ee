#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { ServiceApiDemo } from './service-api-demo.js'

await serve(new ServiceApiDemo())
