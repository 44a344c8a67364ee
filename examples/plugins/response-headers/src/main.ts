#!/usr/bin/env node
import { serve } from '@plugboard/sdk'
import { ResponseHeaders } from './response-headers.js'

await serve(new ResponseHeaders())
